//! What the Supabase services rely on in the database after the official image's init, as named checks
//! (run by check_batch, which can apply a mutation first).
// Shared by several test binaries; each uses part of it.
#![allow(dead_code)]

use super::check_batch::{Check, check};

/// The database roles whose attributes the services depend on.
#[derive(Clone, Copy, Debug)]
pub enum Role {
    SupabaseAdmin,
    Postgres,
    Anon,
    Authenticated,
    ServiceRole,
    Authenticator,
    AuthAdmin,
    StorageAdmin,
    RealtimeAdmin,
    ReplicationAdmin,
    EtlAdmin,
    ReadOnlyUser,
    DashboardUser,
    Pgbouncer,
    SupabaseSuperuser,
    DuckdbRole,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::SupabaseAdmin => "supabase_admin",
            Role::Postgres => "postgres",
            Role::Anon => "anon",
            Role::Authenticated => "authenticated",
            Role::ServiceRole => "service_role",
            Role::Authenticator => "authenticator",
            Role::AuthAdmin => "supabase_auth_admin",
            Role::StorageAdmin => "supabase_storage_admin",
            Role::RealtimeAdmin => "supabase_realtime_admin",
            Role::ReplicationAdmin => "supabase_replication_admin",
            Role::EtlAdmin => "supabase_etl_admin",
            Role::ReadOnlyUser => "supabase_read_only_user",
            Role::DashboardUser => "dashboard_user",
            Role::Pgbouncer => "pgbouncer",
            Role::SupabaseSuperuser => "supabase_superuser",
            Role::DuckdbRole => "duckdb_role",
        }
    }
}

/// super, inherit, createrole, createdb, login, replication, bypassrls — as `t`/`f`, in that order — and settings.
pub const ROLES: [(Role, &str, &str); 16] = [
    (Role::SupabaseAdmin, "t,t,t,t,t,t,t", r#"search_path="$user", public, auth, extensions"#),
    (Role::Postgres, "f,t,t,t,t,t,t", r#"search_path="$user", public, extensions"#),
    (Role::Anon, "f,t,f,f,f,f,f", "statement_timeout=3s"),
    (Role::Authenticated, "f,t,f,f,f,f,f", "statement_timeout=8s"),
    (Role::ServiceRole, "f,t,f,f,f,f,t", ""),
    (Role::Authenticator, "f,f,f,f,t,f,f", "statement_timeout=8s;lock_timeout=8s"),
    (Role::AuthAdmin, "f,f,f,f,t,f,f", "search_path=auth"),
    (Role::StorageAdmin, "f,f,t,f,t,f,f", "search_path=storage"),
    (Role::RealtimeAdmin, "f,f,t,f,t,t,f", "search_path=public, extensions, realtime"),
    (Role::ReplicationAdmin, "f,t,f,f,t,t,f", ""),
    (Role::EtlAdmin, "f,t,f,f,t,t,t", ""),
    (Role::ReadOnlyUser, "f,t,f,f,t,f,t", ""),
    (Role::DashboardUser, "f,t,t,t,f,t,f", ""),
    (Role::Pgbouncer, "f,t,f,f,t,f,f", ""),
    (Role::SupabaseSuperuser, "f,t,f,f,f,f,f", ""),
    (Role::DuckdbRole, "f,t,f,f,f,f,f", ""),
];

/// Objects the checks look at, created before them (after a mutation, so default privileges apply).
pub const FIXTURES: &str = "
create table public.by_admin (v int); insert into public.by_admin values (1);
alter table public.by_admin enable row level security;
set local role postgres; create table public.by_postgres (v int); create function public.by_postgres_fn() returns int language sql as 'select 1'; reset role;
set local role supabase_storage_admin; create table storage.by_storage_api (v int); reset role;
";

const CLAIMS: &str = r#"set local role authenticated; select set_config('request.jwt.claims', '{"sub":"6f1c0c52-9d9e-4a59-9b5e-0d5f2f1f0c11","role":"authenticated","email":"a@b.c"}', true);"#;
const SINGLE_CLAIMS: &str = "set local role authenticated; select set_config('request.jwt.claim.sub', '0b8f5c2e-1111-4222-8333-944455556666', true);";

pub fn all() -> Vec<Check> {
    let mut checks = Vec::new();
    for (role, attributes, settings) in ROLES {
        let name = role.name();
        checks.push(check(
            &format!("role {name} attributes"),
            "",
            &format!(
                "(select concat_ws(',', rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls) from pg_roles where rolname = '{name}')"
            ),
            attributes,
        ));
        checks.push(check(
            &format!("role {name} settings"),
            "",
            &format!("(select coalesce(array_to_string(rolconfig, ';'), '') from pg_roles where rolname = '{name}')"),
            settings,
        ));
    }
    checks.extend(memberships());
    checks.extend(behaviour());
    checks.extend(grants());
    checks.extend(objects());
    checks
}

fn memberships() -> Vec<Check> {
    let mut checks = vec![
        check(
            "authenticator may SET ROLE anon, authenticated, service_role, supabase_admin",
            "",
            "pg_has_role('authenticator', 'anon', 'SET') and pg_has_role('authenticator', 'authenticated', 'SET') and pg_has_role('authenticator', 'service_role', 'SET') and pg_has_role('authenticator', 'supabase_admin', 'SET')",
            "true",
        ),
        check(
            "authenticator inherits none of the roles it may become",
            "",
            "pg_has_role('authenticator', 'anon', 'USAGE') or pg_has_role('authenticator', 'authenticated', 'USAGE') or pg_has_role('authenticator', 'service_role', 'USAGE') or pg_has_role('authenticator', 'supabase_admin', 'USAGE')",
            "false",
        ),
        check(
            "supabase_realtime_admin is a member of anon, authenticated, service_role",
            "",
            "pg_has_role('supabase_realtime_admin', 'anon', 'MEMBER') and pg_has_role('supabase_realtime_admin', 'authenticated', 'MEMBER') and pg_has_role('supabase_realtime_admin', 'service_role', 'MEMBER')",
            "true",
        ),
        check(
            "postgres may grant anon, authenticated, service_role (admin option)",
            "",
            "pg_has_role('postgres', 'anon', 'MEMBER WITH ADMIN OPTION') and pg_has_role('postgres', 'authenticated', 'MEMBER WITH ADMIN OPTION') and pg_has_role('postgres', 'service_role', 'MEMBER WITH ADMIN OPTION')",
            "true",
        ),
        check(
            "postgres holds pg_monitor and pg_signal_backend through supabase_superuser",
            "",
            "pg_has_role('postgres', 'supabase_superuser', 'USAGE') and pg_has_role('postgres', 'pg_monitor', 'USAGE') and pg_has_role('postgres', 'pg_signal_backend', 'USAGE')",
            "true",
        ),
        check(
            "postgres is not a member of the service admin roles",
            "",
            "pg_has_role('postgres', 'supabase_auth_admin', 'MEMBER') or pg_has_role('postgres', 'supabase_storage_admin', 'MEMBER') or pg_has_role('postgres', 'supabase_realtime_admin', 'MEMBER')",
            "false",
        ),
        check(
            "duckdb_role: postgres administers it, service_role and supabase_admin hold it",
            "",
            "pg_has_role('postgres', 'duckdb_role', 'MEMBER WITH ADMIN OPTION') and pg_has_role('service_role', 'duckdb_role', 'MEMBER') and pg_has_role('supabase_admin', 'duckdb_role', 'MEMBER')",
            "true",
        ),
    ];
    for role in ["supabase_etl_admin", "supabase_read_only_user"] {
        checks.push(check(&format!("{role} reads all data (pg_read_all_data)"), "", &format!("pg_has_role('{role}', 'pg_read_all_data', 'USAGE')"), "true"));
    }
    checks
}

fn behaviour() -> Vec<Check> {
    vec![
        check("postgres reads past row level security (bypassrls)", "set local role postgres;", "(select count(*) from public.by_admin)", "1"),
        check("service_role reads past row level security (bypassrls)", "set local role service_role;", "(select count(*) from public.by_admin)", "1"),
        check("authenticated is held by row level security", "set local role authenticated;", "(select count(*) from public.by_admin)", "0"),
        check("anon is held by row level security", "set local role anon;", "(select count(*) from public.by_admin)", "0"),
        check("authenticator holds no table rights of its own (noinherit)", "", "has_table_privilege('authenticator', 'public.by_admin', 'SELECT')", "false"),
        check(
            "auth.uid(), auth.role(), auth.email(), auth.jwt() read request.jwt.claims as authenticated",
            CLAIMS,
            "concat_ws('|', auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'sub')",
            "6f1c0c52-9d9e-4a59-9b5e-0d5f2f1f0c11|authenticated|a@b.c|6f1c0c52-9d9e-4a59-9b5e-0d5f2f1f0c11",
        ),
        check("auth.uid() reads the per-claim setting request.jwt.claim.sub", SINGLE_CLAIMS, "auth.uid()", "0b8f5c2e-1111-4222-8333-944455556666"),
        check(
            "anon calls graphql_public.graphql() and gets the placeholder error",
            "set local role anon;",
            "graphql_public.graphql(query := '{ x }') -> 'errors' -> 0 ->> 'message'",
            "pg_graphql extension is not enabled.",
        ),
        check(
            "pgbouncer looks up authenticator's SCRAM verifier with get_auth",
            "set local role pgbouncer;",
            "(select username || ':' || left(password, 14) from pgbouncer.get_auth('authenticator'))",
            "authenticator:SCRAM-SHA-256$",
        ),
        check("get_auth answers nothing for a role that cannot log in", "set local role pgbouncer;", "(select count(*) from pgbouncer.get_auth('anon'))", "0"),
    ]
}

/// Creating the extensions Debian packages for 17 (slow: PostGIS takes seconds), kept apart from `all`.
pub fn extension_creation() -> Vec<Check> {
    vec![
        check(
            "pgvector creates and computes (as supabase_admin)",
            "create extension vector schema extensions;",
            "'[1,2]'::extensions.vector <-> '[1,2]'::extensions.vector",
            "0",
        ),
        check(
            "pg_cron: creating it hands schema cron to postgres, read-only on cron.job",
            "create extension pg_cron;",
            "has_schema_privilege('postgres', 'cron', 'USAGE WITH GRANT OPTION') and has_table_privilege('postgres', 'cron.job', 'SELECT') and not has_table_privilege('postgres', 'cron.job', 'UPDATE')",
            "true",
        ),
        check(
            "postgis creates and computes (as supabase_admin)",
            "create extension postgis schema extensions;",
            "extensions.st_astext(extensions.st_makepoint(1, 2))",
            "POINT(1 2)",
        ),
    ]
}

fn grants() -> Vec<Check> {
    let mut checks = Vec::new();
    for schema in ["public", "extensions", "auth", "storage", "realtime", "graphql_public"] {
        checks.push(check(
            &format!("anon, authenticated, service_role may use schema {schema}"),
            "",
            &format!("has_schema_privilege('anon', '{schema}', 'USAGE') and has_schema_privilege('authenticated', '{schema}', 'USAGE') and has_schema_privilege('service_role', '{schema}', 'USAGE')"),
            "true",
        ));
    }
    for role in ["anon", "authenticated", "service_role"] {
        checks.push(check(
            &format!("{role} may use tables supabase_admin creates in public"),
            "",
            &format!("has_table_privilege('{role}', 'public.by_admin', 'SELECT, INSERT, UPDATE, DELETE')"),
            "true",
        ));
        checks.push(check(
            &format!("{role} may use tables postgres creates in public"),
            "",
            &format!("has_table_privilege('{role}', 'public.by_postgres', 'SELECT, INSERT, UPDATE, DELETE')"),
            "true",
        ));
        checks.push(check(
            &format!("{role} may run functions postgres creates in public"),
            "",
            &format!("has_function_privilege('{role}', 'public.by_postgres_fn()', 'EXECUTE')"),
            "true",
        ));
        checks.push(check(
            &format!("{role} may use tables storage-api creates in storage"),
            "",
            &format!("has_table_privilege('{role}', 'storage.by_storage_api', 'SELECT, INSERT, UPDATE, DELETE')"),
            "true",
        ));
        checks.push(check(&format!("{role} may call auth.uid(), auth.role(), auth.email(), auth.jwt()"), "", &format!("has_function_privilege('{role}', 'auth.uid()', 'EXECUTE') and has_function_privilege('{role}', 'auth.role()', 'EXECUTE') and has_function_privilege('{role}', 'auth.email()', 'EXECUTE') and has_function_privilege('{role}', 'auth.jwt()', 'EXECUTE')"), "true"));
    }
    let rest = [
        (
            "supabase_auth_admin owns GoTrue's tables and may create in schema auth",
            "(select bool_and(pg_get_userbyid(relowner) = 'supabase_auth_admin') from pg_class where relnamespace = 'auth'::regnamespace and relkind in ('r', 'S')) and has_schema_privilege('supabase_auth_admin', 'auth', 'CREATE')",
        ),
        ("supabase_auth_admin may create in database postgres", "has_database_privilege('supabase_auth_admin', 'postgres', 'CREATE')"),
        (
            "supabase_auth_admin holds explicit SELECT on information_schema",
            "(select count(*) > 0 from information_schema.role_table_grants where grantee = 'supabase_auth_admin' and table_schema = 'information_schema')",
        ),
        (
            "supabase_storage_admin may create in schema storage and database postgres",
            "has_schema_privilege('supabase_storage_admin', 'storage', 'CREATE') and has_database_privilege('supabase_storage_admin', 'postgres', 'CREATE')",
        ),
        (
            "supabase_realtime_admin may create in realtime, public and database postgres",
            "has_schema_privilege('supabase_realtime_admin', 'realtime', 'CREATE') and has_schema_privilege('supabase_realtime_admin', 'public', 'CREATE') and has_database_privilege('supabase_realtime_admin', 'postgres', 'CREATE')",
        ),
        ("supabase_realtime_admin may set log_min_messages", "has_parameter_privilege('supabase_realtime_admin', 'log_min_messages', 'SET')"),
        (
            "supabase_realtime_admin may call auth.uid()",
            "has_schema_privilege('supabase_realtime_admin', 'auth', 'USAGE') and has_function_privilege('supabase_realtime_admin', 'auth.uid()', 'EXECUTE')",
        ),
        ("supabase_etl_admin may create in database postgres", "has_database_privilege('supabase_etl_admin', 'postgres', 'CREATE')"),
        (
            "postgres reads and writes GoTrue's users, not its migration table",
            "has_table_privilege('postgres', 'auth.users', 'SELECT, INSERT, UPDATE, DELETE') and not has_table_privilege('postgres', 'auth.schema_migrations', 'SELECT')",
        ),
        (
            "postgres may not create in schemas auth, storage, realtime",
            "not (has_schema_privilege('postgres', 'auth', 'CREATE') or has_schema_privilege('postgres', 'storage', 'CREATE') or has_schema_privilege('postgres', 'realtime', 'CREATE'))",
        ),
        (
            "postgres may pass on usage of storage and realtime",
            "has_schema_privilege('postgres', 'storage', 'USAGE WITH GRANT OPTION') and has_schema_privilege('postgres', 'realtime', 'USAGE WITH GRANT OPTION')",
        ),
        ("postgres may reload the configuration", "has_function_privilege('postgres', 'pg_reload_conf()', 'EXECUTE')"),
        (
            "postgres may manage subscriptions through supabase_subscription_mgmt",
            "has_function_privilege('postgres', 'supabase_subscription_mgmt.pg_create_subscription(text, text, text, text, boolean, text)', 'EXECUTE') and has_function_privilege('postgres', 'supabase_subscription_mgmt.pg_drop_subscription(text)', 'EXECUTE')",
        ),
        (
            "pgbouncer and postgres may run pgbouncer.get_auth, the API roles may not",
            "has_function_privilege('pgbouncer', 'pgbouncer.get_auth(text)', 'EXECUTE') and has_function_privilege('postgres', 'pgbouncer.get_auth(text)', 'EXECUTE') and not has_function_privilege('anon', 'pgbouncer.get_auth(text)', 'EXECUTE') and not has_function_privilege('authenticator', 'pgbouncer.get_auth(text)', 'EXECUTE')",
        ),
        (
            "pgbouncer.get_auth runs as supabase_admin (it reads pg_authid)",
            "(select pg_get_userbyid(proowner) = 'supabase_admin' and prosecdef from pg_proc where oid = 'pgbouncer.get_auth(text)'::regprocedure)",
        ),
        (
            "dashboard_user holds all on database postgres and schemas auth, storage, extensions",
            "has_database_privilege('dashboard_user', 'postgres', 'CREATE, CONNECT, TEMPORARY') and has_schema_privilege('dashboard_user', 'auth', 'CREATE, USAGE') and has_schema_privilege('dashboard_user', 'storage', 'CREATE, USAGE') and has_schema_privilege('dashboard_user', 'extensions', 'CREATE, USAGE')",
        ),
    ];
    checks.extend(rest.into_iter().map(|(name, value)| check(name, "", value, "true")));
    checks
}

fn objects() -> Vec<Check> {
    let mut checks = vec![
        check("server is PostgreSQL 17", "", "current_setting('server_version_num')::int / 10000", "17"),
        check("wal_level is logical (Realtime decodes changes)", "", "current_setting('wal_level')", "logical"),
        check("database postgres belongs to postgres", "", "(select pg_get_userbyid(datdba) from pg_database where datname = 'postgres')", "postgres"),
        check(
            "extensions created in schema extensions",
            "",
            "(select string_agg(extname, ',' order by extname) from pg_extension where extnamespace = 'extensions'::regnamespace)",
            "pg_stat_statements,pgcrypto,uuid-ossp",
        ),
        check(
            "publication supabase_realtime: empty, owned by postgres, publishes every change",
            "",
            "(select concat_ws(',', pg_get_userbyid(pubowner), puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, (select count(*) from pg_publication_rel where prpubid = p.oid)) from pg_publication p where pubname = 'supabase_realtime')",
            "postgres,f,t,t,t,t,0",
        ),
        check(
            "auth helper functions belong to supabase_auth_admin",
            "",
            "(select string_agg(distinct pg_get_userbyid(proowner), ',') from pg_proc where pronamespace = 'auth'::regnamespace and proname in ('uid', 'role', 'email', 'jwt'))",
            "supabase_auth_admin",
        ),
        check("GoTrue's first migrations are recorded", "", "(select count(*) from auth.schema_migrations)", "7"),
        check("app.settings.jwt_exp on database postgres (jwt.sql)", "", "current_setting('app.settings.jwt_exp', true)", super::substitute_db::JWT_EXP),
        check(
            "database _supabase with schemas _analytics, _supavisor exists (_supabase.sql)",
            "",
            "(select count(*) from pg_database where datname = '_supabase')",
            "1",
        ),
        check(
            "no supabase_functions schema: webhooks.sql needs pg_net, which the substitute lacks",
            "",
            "(select count(*) from pg_namespace where nspname = 'supabase_functions')",
            "0",
        ),
    ];
    for (schema, owner) in [
        ("auth", "supabase_admin"),
        ("storage", "supabase_admin"),
        ("realtime", "supabase_admin"),
        ("_realtime", "supabase_admin"),
        ("graphql_public", "supabase_admin"),
        ("supabase_subscription_mgmt", "supabase_admin"),
        ("extensions", "postgres"),
        ("pgbouncer", "pgbouncer"),
    ] {
        checks.push(check(
            &format!("schema {schema} belongs to {owner}"),
            "",
            &format!("(select pg_get_userbyid(nspowner) from pg_namespace where nspname = '{schema}')"),
            owner,
        ));
    }
    for (trigger, event, function, tags) in [
        ("pgrst_ddl_watch", "ddl_command_end", "extensions.pgrst_ddl_watch", ""),
        ("pgrst_drop_watch", "sql_drop", "extensions.pgrst_drop_watch", ""),
        ("issue_pg_cron_access", "ddl_command_end", "extensions.grant_pg_cron_access", "CREATE EXTENSION"),
        ("issue_pg_net_access", "ddl_command_end", "extensions.grant_pg_net_access", "CREATE EXTENSION"),
        ("issue_pg_graphql_access", "ddl_command_end", "extensions.grant_pg_graphql_access", "CREATE EXTENSION"),
        ("issue_graphql_placeholder", "sql_drop", "extensions.set_graphql_placeholder", "DROP EXTENSION"),
        ("issue_pg_duckdb_access", "ddl_command_end", "extensions.grant_pg_duckdb_access", "CREATE EXTENSION"),
    ] {
        checks.push(check(
            &format!("event trigger {trigger}"),
            "",
            &format!("(select concat_ws('|', evtevent, pg_get_userbyid(evtowner), f.pronamespace::regnamespace || '.' || f.proname, evtenabled, coalesce(array_to_string(evttags, ','), '')) from pg_event_trigger e join pg_proc f on f.oid = e.evtfoid where evtname = '{trigger}')"),
            &format!("{event}|supabase_admin|{function}|O|{tags}"),
        ));
    }
    for extension in ["vector", "pg_cron", "postgis", "pgtap", "http", "hypopg", "plpgsql_check", "pgaudit", "pg_repack", "rum", "pgrouting", "pg_partman"] {
        checks.push(check(
            &format!("extension {extension} is available"),
            "",
            &format!("(select count(*) from pg_available_extensions where name = '{extension}')"),
            "1",
        ));
    }
    checks
}
