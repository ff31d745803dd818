//! stacks/supabase/volumes/db/webhooks.sql (database webhooks) behaves as upstream's does, proven on the
//! substitute with a stand-in pg_net installed only inside the throwaway test container: the stand-in's
//! net.http_get/http_post record each request in a table instead of sending it, so what the webhook
//! trigger asks pg_net to send can be read back. (The substitute image itself has no pg_net and skips the
//! file at init; db_end_state proves that skip.)

#[path = "support/check_batch.rs"]
mod check_batch;
#[path = "support/substitute_db.rs"]
mod substitute_db;

use std::collections::BTreeSet;
use std::time::Duration;

use check_batch::{Check, check};
use substitute_db::SubstituteDb;

const EXTENSION_DIR: &str = "/usr/share/postgresql/17/extension";
/// Where the compose file mounts webhooks.sql (the test container has the same mount).
const WEBHOOKS_SQL: &str = "/docker-entrypoint-initdb.d/init-scripts/98-webhooks.sql";

/// A pg_net with upstream's function signatures that queues into net.requests and sends nothing.
const STAND_IN_CONTROL: &str = "comment = 'AIWAH test stand-in for pg_net: records requests, sends nothing'\ndefault_version = '0.10.0'\nrelocatable = false\n";
const STAND_IN_SQL: &str = "
create schema net;
create table net.requests (id bigserial primary key, method text, url text, body jsonb, params jsonb, headers jsonb, timeout_ms integer);
create function net.http_get(url text, params jsonb default '{}', headers jsonb default '{}', timeout_milliseconds integer default 1000)
returns bigint language sql as $$ insert into net.requests (method, url, params, headers, timeout_ms) values ('GET', url, params, headers, timeout_milliseconds) returning id $$;
create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}', headers jsonb default '{}', timeout_milliseconds integer default 1000)
returns bigint language sql as $$ insert into net.requests (method, url, body, params, headers, timeout_ms) values ('POST', url, body, params, headers, timeout_milliseconds) returning id $$;
";

fn start_with_stand_in() -> SubstituteDb {
    let db = SubstituteDb::start(&aiwah_harness::repo::this_checkout(), Duration::from_secs(180));
    db.write_file(&format!("{EXTENSION_DIR}/pg_net.control"), STAND_IN_CONTROL);
    db.write_file(&format!("{EXTENSION_DIR}/pg_net--0.10.0.sql"), STAND_IN_SQL);
    let (_, err, ok) = db.psql("supabase_admin", &format!("\\set ON_ERROR_STOP 1\n\\i {WEBHOOKS_SQL}\n"));
    assert!(ok, "webhooks.sql failed with pg_net present: {err}");
    db
}

/// Created as postgres (as Studio does: creating the trigger needs EXECUTE on http_request), fired by a
/// request role.
const POST_HOOK: &str = r#"set local role postgres; create table public.orders (id int primary key, note text);
create trigger orders_hook after insert or update on public.orders for each row
  execute function supabase_functions.http_request('http://hooks.test/orders', 'POST', '{"Content-Type":"application/json","X-Key":"k"}', '{}', '5000');
set local role authenticated; insert into public.orders values (1, 'a'); update public.orders set note = 'b'; reset role;"#;
const GET_HOOK: &str = "create table public.pings (id int);
create trigger pings_hook after insert on public.pings for each row
  execute function supabase_functions.http_request('http://hooks.test/ping', 'GET', 'null', '{\"a\":\"1\"}', 'null');
insert into public.pings values (7);";
const NO_URL: &str = "create table public.broken (id int);
create trigger broken_hook after insert on public.broken for each row execute function supabase_functions.http_request('null', 'POST');";
const BAD_METHOD: &str = "create table public.put (id int);
create trigger put_hook after insert on public.put for each row execute function supabase_functions.http_request('http://x', 'PUT');";

fn webhook_checks() -> Vec<Check> {
    vec![
        check(
            "schema supabase_functions belongs to supabase_admin",
            "",
            "(select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'supabase_functions')",
            "supabase_admin",
        ),
        check(
            "hooks, migrations and http_request belong to supabase_functions_admin",
            "",
            "(select string_agg(distinct pg_get_userbyid(relowner), ',') from pg_class where relnamespace = 'supabase_functions'::regnamespace and relkind = 'r') || '|' || (select pg_get_userbyid(proowner) from pg_proc where oid = 'supabase_functions.http_request()'::regprocedure)",
            "supabase_functions_admin|supabase_functions_admin",
        ),
        check(
            "migrations recorded",
            "",
            "(select string_agg(version, ',' order by version) from supabase_functions.migrations)",
            "20210809183423_update_grants,initial",
        ),
        check(
            "role supabase_functions_admin: login noinherit createrole, search_path, granted to postgres",
            "",
            "(select concat_ws(',', rolsuper, rolinherit, rolcreaterole, rolcanlogin, rolreplication, array_to_string(rolconfig, ';')) from pg_roles where rolname = 'supabase_functions_admin') || ',' || pg_has_role('postgres', 'supabase_functions_admin', 'MEMBER')",
            "f,f,t,t,f,search_path=supabase_functions,true",
        ),
        check(
            "http_request runs as its owner with its own search_path",
            "",
            "(select prosecdef || '|' || array_to_string(proconfig, ';') from pg_proc where oid = 'supabase_functions.http_request()'::regprocedure)",
            "true|search_path=supabase_functions",
        ),
        check(
            "the API roles and postgres may fire webhooks, other roles may not",
            "",
            "has_function_privilege('anon', 'supabase_functions.http_request()', 'EXECUTE') and has_function_privilege('authenticated', 'supabase_functions.http_request()', 'EXECUTE') and has_function_privilege('service_role', 'supabase_functions.http_request()', 'EXECUTE') and has_function_privilege('postgres', 'supabase_functions.http_request()', 'EXECUTE') and not has_function_privilege('pgbouncer', 'supabase_functions.http_request()', 'EXECUTE')",
            "true",
        ),
        check(
            "pg_net's request functions: API roles yes, others no",
            "",
            "has_schema_privilege('anon', 'net', 'USAGE') and has_function_privilege('authenticated', 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'EXECUTE') and not has_function_privilege('pgbouncer', 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'EXECUTE')",
            "true",
        ),
        check(
            "a POST webhook sends type, table, schema, record and old_record per row change",
            POST_HOOK,
            "(select string_agg(concat_ws('|', method, url, body ->> 'type', body ->> 'table', body ->> 'schema', body -> 'record' ->> 'note', coalesce(body -> 'old_record' ->> 'note', '-'), headers ->> 'X-Key', timeout_ms), ' ; ' order by id) from net.requests)",
            "POST|http://hooks.test/orders|INSERT|orders|public|a|-|k|5000 ; POST|http://hooks.test/orders|UPDATE|orders|public|b|a|k|5000",
        ),
        check(
            "each request pg_net queued is recorded in supabase_functions.hooks",
            POST_HOOK,
            "(select count(*) || '|' || bool_and(h.hook_name = 'orders_hook' and h.hook_table_id = 'public.orders'::regclass::oid::int) from supabase_functions.hooks h join net.requests r on r.id = h.request_id)",
            "2|true",
        ),
        check(
            "a GET webhook sends params; absent headers and timeout take their defaults",
            GET_HOOK,
            "(select concat_ws('|', method, url, params ->> 'a', headers ->> 'Content-Type', timeout_ms, coalesce(body::text, '-')) from net.requests)",
            "GET|http://hooks.test/ping|1|application/json|1000|-",
        ),
    ]
}

#[test]
fn webhooks_sql_builds_database_webhooks_that_queue_each_row_change_with_pg_net() {
    let db = start_with_stand_in();
    let checks = webhook_checks();
    let failed = check_batch::failures(&db, "", "", &checks);
    assert!(failed.is_empty(), "{failed:#?}");

    // The refusals, with upstream's messages (outside the batch: they must abort the statement).
    for (setup, insert, message) in [
        (NO_URL, "insert into public.broken values (1);", "url argument is missing"),
        (BAD_METHOD, "insert into public.put values (1);", "method argument PUT is invalid"),
    ] {
        let (_, err, ok) = db.psql("supabase_admin", &format!("begin;\n{setup}\n\\set ON_ERROR_STOP 1\n{insert}\n"));
        assert!(!ok && err.contains(message), "expected {message:?}, got: {err}");
    }

    // Re-creating pg_net re-applies the grants through the event trigger.
    let (out, err, ok) = db.psql(
        "supabase_admin",
        "\\set ON_ERROR_STOP 1\ndrop extension pg_net;\ncreate extension pg_net schema extensions;\nselect has_function_privilege('anon', 'net.http_get(text, jsonb, jsonb, integer)', 'EXECUTE'), has_function_privilege('pgbouncer', 'net.http_get(text, jsonb, jsonb, integer)', 'EXECUTE');\n",
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "t|f");
}

#[test]
fn a_missing_webhook_grant_fails_the_check_named_for_it() {
    let db = start_with_stand_in();
    let checks = webhook_checks();
    for (mutation, fails) in [
        // (postgres is not a useful subject here: it holds supabase_functions_admin, the function's owner.)
        (
            "revoke execute on function supabase_functions.http_request() from authenticated;",
            ["the API roles and postgres may fire webhooks, other roles may not"].as_slice(),
        ),
        ("alter function supabase_functions.http_request() security invoker;", ["http_request runs as its owner with its own search_path"].as_slice()),
        ("revoke usage on schema net from anon;", ["pg_net's request functions: API roles yes, others no"].as_slice()),
    ] {
        let failed = check_batch::failures(&db, mutation, "", &checks);
        let names: BTreeSet<&str> = failed.keys().map(String::as_str).collect();
        assert_eq!(names, fails.iter().copied().collect::<BTreeSet<_>>(), "after `{mutation}`: {failed:#?}");
    }
}
