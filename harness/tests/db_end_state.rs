//! The supabase-postgres substitute ends its init in the state the Supabase services rely on (roles and
//! their attributes, memberships, grants, default privileges, helper functions, publication, event
//! triggers), and the checks that say so fail by name when that state is broken. Runs the offline image
//! on the engine the way the compose `db` service runs it. Needs `cargo xtask images build --offline`.

#[path = "support/check_batch.rs"]
mod check_batch;
#[path = "support/db_checks.rs"]
mod db_checks;
#[path = "support/substitute_db.rs"]
mod substitute_db;

use std::collections::BTreeSet;
use std::time::Duration;

use check_batch::Check;
use substitute_db::SubstituteDb;

const INIT_DEADLINE: Duration = Duration::from_secs(180);

fn start() -> SubstituteDb {
    SubstituteDb::start(&aiwah_harness::repo::this_checkout(), INIT_DEADLINE)
}

#[test]
fn the_substitute_reaches_the_end_state_the_services_rely_on() {
    let db = start();
    let mut checks = db_checks::all();
    checks.extend(db_checks::extension_creation());
    let failed = check_batch::failures(&db, "", db_checks::FIXTURES, &checks);
    assert!(failed.is_empty(), "{} of {} checks failed:\n{failed:#?}", failed.len(), checks.len());
    println!("{} end-state checks passed", checks.len());

    // Database _supabase with the schemas of Logflare and Supavisor (_supabase.sql, logs.sql, pooler.sql).
    let schemas = db.exec(&[
        "psql",
        "-X",
        "-At",
        "-U",
        "supabase_admin",
        "-d",
        "_supabase",
        "-c",
        "select string_agg(nspname || ':' || pg_get_userbyid(nspowner), ',' order by nspname) from pg_namespace where nspname in ('_analytics', '_supavisor')",
    ]);
    assert_eq!(schemas.unwrap().trim(), "_analytics:supabase_admin,_supavisor:supabase_admin");

    // Init: only webhooks.sql failed (no pg_net in Debian), and it was skipped with a logged reason.
    let logs = db.logs();
    let errors: Vec<&str> = logs.lines().filter(|l| l.starts_with("psql:") && l.contains("ERROR")).collect();
    assert_eq!(errors, ["psql:/docker-entrypoint-initdb.d/init-scripts/98-webhooks.sql:11: ERROR:  extension \"pg_net\" is not available"]);
    assert!(logs.contains("SKIPPED /docker-entrypoint-initdb.d/init-scripts/98-webhooks.sql: it needs extension pg_net"), "{logs}");
    let skipped = db.exec(&["cat", "/var/lib/postgresql/data/aiwah-substitute-skipped.log"]).unwrap();
    assert!(skipped.contains("98-webhooks.sql\tmissing extension pg_net"), "{skipped}");

    // Password logins from another container (scram-sha-256), as PostgREST, GoTrue and the pooler log in.
    for role in ["supabase_admin", "postgres", "authenticator", "supabase_auth_admin", "supabase_storage_admin", "pgbouncer"] {
        assert_eq!(db.psql_over_network(role, &db.password, "select current_user").unwrap().trim(), role);
    }
    let wrong = db.psql_over_network("postgres", "not-the-password", "select 1").unwrap_err();
    assert!(wrong.contains("password authentication failed"), "{wrong}");
    let switched = db.psql_over_network("authenticator", &db.password, "set role authenticated; select current_user").unwrap();
    assert_eq!(switched.trim(), "authenticated");

    // PostgREST reloads its schema cache on NOTIFY pgrst: DDL in public sends it, DDL in auth does not.
    let (out, err, ok) = db.psql(
        "supabase_admin",
        "listen pgrst;\ncreate schema if not exists auth; create table auth.quiet(v int);\nselect 'after auth';\ncreate table public.loud(v int);\nselect 'after public';\n",
    );
    assert!(ok, "{err}");
    let notices: Vec<&str> = out.lines().filter(|l| l.starts_with("after") || l.contains("\"pgrst\"")).collect();
    assert_eq!(notices.len(), 3, "{out}");
    assert_eq!(notices[0], "after auth");
    assert!(notices[1].contains("payload \"reload schema\""), "{out}");
    assert_eq!(notices[2], "after public");
}

/// A change to the database and the checks that must fail because of it, by name.
struct Mutation {
    sql: &'static str,
    fails: &'static [&'static str],
}

const MUTATIONS: &[Mutation] = &[
    Mutation { sql: "alter role postgres nobypassrls;", fails: &["role postgres attributes", "postgres reads past row level security (bypassrls)"] },
    Mutation {
        sql: "alter role service_role nobypassrls;",
        fails: &["role service_role attributes", "service_role reads past row level security (bypassrls)"],
    },
    // On PostgreSQL 16+ a membership's INHERIT is fixed when it is granted: the attribute alone changes only
    // what the catalog says about the role...
    Mutation { sql: "alter role authenticator inherit;", fails: &["role authenticator attributes"] },
    // ... while a grant that inherits gives authenticator the rights of the role it holds.
    Mutation {
        sql: "grant anon to authenticator with inherit true;",
        fails: &["authenticator inherits none of the roles it may become", "authenticator holds no table rights of its own (noinherit)"],
    },
    Mutation { sql: "revoke anon from authenticator;", fails: &["authenticator may SET ROLE anon, authenticated, service_role, supabase_admin"] },
    Mutation {
        sql: "alter default privileges for role postgres in schema public revoke all on tables from anon;",
        fails: &["anon may use tables postgres creates in public"],
    },
    Mutation {
        sql: "alter default privileges for role supabase_storage_admin in schema storage revoke all on tables from authenticated;",
        fails: &["authenticated may use tables storage-api creates in storage"],
    },
    Mutation {
        sql: "revoke usage on schema auth from authenticated;",
        fails: &[
            "anon, authenticated, service_role may use schema auth",
            "auth.uid(), auth.role(), auth.email(), auth.jwt() read request.jwt.claims as authenticated",
            "auth.uid() reads the per-claim setting request.jwt.claim.sub",
        ],
    },
    Mutation {
        sql: "revoke execute on function pgbouncer.get_auth(text) from pgbouncer;",
        fails: &[
            "pgbouncer and postgres may run pgbouncer.get_auth, the API roles may not",
            "pgbouncer looks up authenticator's SCRAM verifier with get_auth",
            "get_auth answers nothing for a role that cannot log in",
        ],
    },
    Mutation { sql: "revoke set on parameter log_min_messages from supabase_realtime_admin;", fails: &["supabase_realtime_admin may set log_min_messages"] },
    Mutation { sql: "revoke create on database postgres from supabase_auth_admin;", fails: &["supabase_auth_admin may create in database postgres"] },
    Mutation { sql: "drop event trigger pgrst_ddl_watch;", fails: &["event trigger pgrst_ddl_watch"] },
    Mutation { sql: "drop publication supabase_realtime;", fails: &["publication supabase_realtime: empty, owned by postgres, publishes every change"] },
];

#[test]
fn each_mutation_fails_exactly_the_checks_that_guard_what_it_breaks() {
    let db = start();
    let checks: Vec<Check> = db_checks::all();
    // Positive control: the same run without a mutation fails nothing.
    let clean = check_batch::failures(&db, "", db_checks::FIXTURES, &checks);
    assert!(clean.is_empty(), "unmutated: {clean:#?}");
    for mutation in MUTATIONS {
        let failed = check_batch::failures(&db, mutation.sql, db_checks::FIXTURES, &checks);
        let names: BTreeSet<&str> = failed.keys().map(String::as_str).collect();
        let expected: BTreeSet<&str> = mutation.fails.iter().copied().collect();
        assert_eq!(names, expected, "after `{}` these checks failed:\n{failed:#?}", mutation.sql);
    }
    println!("{} mutations, each caught by the checks named for it", MUTATIONS.len());
}
