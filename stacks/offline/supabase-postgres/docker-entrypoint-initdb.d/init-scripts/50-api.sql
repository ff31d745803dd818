-- AIWAH: what PostgREST (and pg_graphql, when present) serve: the rights of the API roles on `public` and
-- on what postgres or supabase_admin create there later, the GraphQL entry point, and the event triggers
-- that make PostgREST reload its schema cache after DDL. Runs as postgres (superuser at this point).

grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage, create on schema public to supabase_realtime_admin;

-- Tables, functions and sequences created later in `public` by postgres (dashboard, migrations) or by
-- supabase_admin are usable by every API role at once; row-level security narrows them.
do $defaults$
declare
  creator text;
  kind text;
begin
  foreach creator in array array['postgres', 'supabase_admin'] loop
    foreach kind in array array['tables', 'functions', 'sequences'] loop
      execute format('alter default privileges for role %I in schema public grant all on %s to postgres, anon, authenticated, service_role', creator, kind);
    end loop;
  end loop;
end
$defaults$;

-- /graphql/v1 calls graphql_public.graphql(). Without pg_graphql it answers with one error.
create schema graphql_public authorization supabase_admin;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public grant all on sequences to postgres, anon, authenticated, service_role;

-- The body of the placeholder, kept in one place: set_graphql_placeholder() below re-creates it from here.
create function extensions.graphql_placeholder_sql() returns text language sql immutable set search_path = '' as $outer$
  select $sql$
    create or replace function graphql_public.graphql("operationName" text default null, query text default null,
                                                      variables jsonb default null, extensions jsonb default null)
    returns jsonb language sql set search_path = '' as $fn$
      select pg_catalog.jsonb_build_object('errors', pg_catalog.jsonb_build_array(
               pg_catalog.jsonb_build_object('message', 'pg_graphql extension is not enabled.')))
    $fn$
  $sql$
$outer$;
alter function extensions.graphql_placeholder_sql() owner to supabase_admin;
set role supabase_admin;
do $$ begin execute extensions.graphql_placeholder_sql(); end $$;
reset role;

-- When pg_graphql is created: graphql_public.graphql() forwards to graphql.resolve() and belongs to the
-- extension; the API roles may use schema graphql; postgres may pass that on.
create function extensions.grant_pg_graphql_access() returns event_trigger language plpgsql set search_path = '' as $body$
begin
  if not exists (select from pg_catalog.pg_event_trigger_ddl_commands() as c
                 join pg_catalog.pg_extension as x on x.oid = c.objid where x.extname = 'pg_graphql') then
    return;
  end if;
  drop function if exists graphql_public.graphql;
  create function graphql_public.graphql("operationName" text default null, query text default null,
                                         variables jsonb default null, extensions jsonb default null)
  returns jsonb language sql set search_path = '' as $fn$
    select graphql.resolve(query := query, variables := coalesce(variables, '{}'),
                           "operationName" := "operationName", extensions := extensions)
  $fn$;
  alter extension pg_graphql add function graphql_public.graphql(text, text, jsonb, jsonb);
  grant usage on schema graphql to postgres, anon, authenticated, service_role;
  grant execute on function graphql.resolve to postgres, anon, authenticated, service_role;
  grant usage on schema graphql, graphql_public to postgres with grant option;
end
$body$;
comment on function extensions.grant_pg_graphql_access() is 'Grants access to pg_graphql';

-- When pg_graphql is dropped (its graphql_public.graphql() goes with it): the placeholder comes back.
create function extensions.set_graphql_placeholder() returns event_trigger language plpgsql set search_path = '' as $body$
begin
  if exists (select from pg_catalog.pg_event_trigger_dropped_objects() where schema_name = 'graphql_public') then
    execute extensions.graphql_placeholder_sql();
  end if;
end
$body$;
comment on function extensions.set_graphql_placeholder() is 'Reintroduces placeholder function for graphql_public.graphql';

-- PostgREST listens on channel `pgrst`; 'reload schema' makes it re-read the catalog. DDL on objects it
-- could serve triggers a reload; temporary objects and the service-owned schemas do not.
create function extensions.pgrst_ddl_watch() returns event_trigger language plpgsql as $body$
declare
  cmd record;
begin
  for cmd in select command_tag, schema_name, object_identity from pg_event_trigger_ddl_commands() loop
    if (cmd.command_tag = 'CREATE TRIGGER' and cmd.object_identity not like '% pg\_temp.%')
       or (cmd.command_tag = any (array[
             'CREATE SCHEMA', 'ALTER SCHEMA', 'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE',
             'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE VIEW', 'ALTER VIEW',
             'CREATE MATERIALIZED VIEW', 'ALTER MATERIALIZED VIEW', 'CREATE FUNCTION', 'ALTER FUNCTION',
             'CREATE TYPE', 'ALTER TYPE', 'CREATE RULE', 'COMMENT'])
           and coalesce(cmd.schema_name, '') <> all (array['pg_temp', 'auth', 'realtime', '_realtime', 'storage'])) then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end
$body$;
create function extensions.pgrst_drop_watch() returns event_trigger language plpgsql as $body$
declare
  dropped record;
begin
  for dropped in select object_type, schema_name, object_identity, is_temporary from pg_event_trigger_dropped_objects() loop
    if (dropped.object_type = 'trigger' and dropped.object_identity not like '% pg\_temp.%')
       or (dropped.object_type = any (array['schema', 'table', 'foreign table', 'view', 'materialized view',
                                            'function', 'type', 'rule'])
           and not dropped.is_temporary
           and coalesce(dropped.schema_name, '') <> all (array['auth', 'realtime', '_realtime', 'storage'])) then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end
$body$;

alter function extensions.grant_pg_graphql_access() owner to supabase_admin;
alter function extensions.set_graphql_placeholder() owner to supabase_admin;
alter function extensions.pgrst_ddl_watch() owner to supabase_admin;
alter function extensions.pgrst_drop_watch() owner to supabase_admin;

-- The function above looks for the extension among the command's objects, so it fires on CREATE EXTENSION.
create event trigger issue_pg_graphql_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_graphql_access();
create event trigger issue_graphql_placeholder on sql_drop when tag in ('DROP EXTENSION')
  execute function extensions.set_graphql_placeholder();
create event trigger pgrst_ddl_watch on ddl_command_end execute function extensions.pgrst_ddl_watch();
create event trigger pgrst_drop_watch on sql_drop execute function extensions.pgrst_drop_watch();
alter event trigger issue_pg_graphql_access owner to supabase_admin;
alter event trigger issue_graphql_placeholder owner to supabase_admin;
alter event trigger pgrst_ddl_watch owner to supabase_admin;
alter event trigger pgrst_drop_watch owner to supabase_admin;
