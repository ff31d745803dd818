-- AIWAH: schema `extensions`, the extensions every Supabase database starts with, and the event triggers
-- that hand an optional extension's objects to the API roles and to postgres when someone creates it.
-- Extensions Debian packages for 17 (vector, pg_cron, postgis, pgtap, http, ...) are installed in the
-- image but, as upstream, not created. Runs as postgres (superuser at this point).

create schema extensions authorization postgres;
grant usage on schema extensions to anon, authenticated, service_role, supabase_realtime_admin;
grant all on schema extensions to dashboard_user;

create extension "uuid-ossp" with schema extensions;
create extension pgcrypto with schema extensions;

-- The event trigger functions below run as the role that issued the DDL; they live in `extensions`,
-- belong to supabase_admin and read nothing through search_path.

-- pg_cron: postgres may use schema cron and read (not edit) cron.job; job history has no triggers.
create function extensions.grant_pg_cron_access() returns event_trigger language plpgsql set search_path = '' as $body$
begin
  if not exists (select from pg_catalog.pg_event_trigger_ddl_commands() as c
                 join pg_catalog.pg_extension as x on x.oid = c.objid where x.extname = 'pg_cron') then
    return;
  end if;
  grant usage on schema cron to postgres with grant option;
  alter default privileges in schema cron grant all on tables to postgres with grant option;
  alter default privileges in schema cron grant all on functions to postgres with grant option;
  alter default privileges in schema cron grant all on sequences to postgres with grant option;
  alter default privileges for role supabase_admin in schema cron grant all on tables to postgres with grant option;
  alter default privileges for role supabase_admin in schema cron grant all on functions to postgres with grant option;
  alter default privileges for role supabase_admin in schema cron grant all on sequences to postgres with grant option;
  grant all on all tables in schema cron to postgres with grant option;
  revoke all on table cron.job from postgres;
  grant select on table cron.job to postgres with grant option;
  revoke trigger on cron.job_run_details from postgres;
end
$body$;
comment on function extensions.grant_pg_cron_access() is 'Grants access to pg_cron';

-- pg_net (database webhooks): the HTTP functions become callable by the API roles. Versions from 0.12 on
-- need no changes to the functions themselves.
create function extensions.grant_pg_net_access() returns event_trigger language plpgsql set search_path = '' as $body$
declare
  get_fn constant text := 'net.http_get(url text, params jsonb, headers jsonb, timeout_milliseconds integer)';
  post_fn constant text := 'net.http_post(url text, body jsonb, params jsonb, headers jsonb, timeout_milliseconds integer)';
  fn text;
begin
  if not exists (select from pg_catalog.pg_event_trigger_ddl_commands() as c
                 join pg_catalog.pg_extension as x on x.oid = c.objid where x.extname = 'pg_net') then
    return;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_functions_admin') then
    create role supabase_functions_admin login noinherit createrole noreplication;
  end if;
  grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated, service_role;
  if exists (select from pg_catalog.pg_extension where extname = 'pg_net'
             and extversion in ('0.2', '0.6', '0.7', '0.7.1', '0.8', '0.10.0', '0.11.0')) then
    foreach fn in array array[get_fn, post_fn] loop
      execute format('alter function %s security definer set search_path = net', fn);
      execute format('revoke all on function %s from public', fn);
      execute format('grant execute on function %s to supabase_functions_admin, postgres, anon, authenticated, service_role', fn);
    end loop;
  end if;
end
$body$;
comment on function extensions.grant_pg_net_access() is 'Grants access to pg_net';

-- pg_duckdb: its foreign data wrapper is usable through duckdb_role.
create function extensions.grant_pg_duckdb_access() returns event_trigger language plpgsql as $body$
begin
  if exists (select from pg_catalog.pg_event_trigger_ddl_commands() as c
             join pg_catalog.pg_extension as x on x.oid = c.objid where x.extname = 'pg_duckdb') then
    grant usage on foreign data wrapper duckdb to duckdb_role;
  end if;
end
$body$;
comment on function extensions.grant_pg_duckdb_access() is 'Grants access to pg_duckdb';

alter function extensions.grant_pg_cron_access() owner to supabase_admin;
alter function extensions.grant_pg_net_access() owner to supabase_admin;
alter function extensions.grant_pg_duckdb_access() owner to supabase_admin;
-- Studio may run everything in `extensions` that exists at this point (as in the official image, the
-- statistics functions and the duckdb hook come later and keep their default rights).
grant all on all routines in schema extensions to dashboard_user;
revoke all on function extensions.grant_pg_duckdb_access() from dashboard_user;

-- Created by supabase_admin in the official image, so the statistics views belong to it.
set role supabase_admin;
create extension pg_stat_statements with schema extensions;
reset role;
grant all on extensions.pg_stat_statements, extensions.pg_stat_statements_info to postgres;

create event trigger issue_pg_cron_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_cron_access();
create event trigger issue_pg_net_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_net_access();
create event trigger issue_pg_duckdb_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_duckdb_access();
alter event trigger issue_pg_cron_access owner to supabase_admin;
alter event trigger issue_pg_net_access owner to supabase_admin;
alter event trigger issue_pg_duckdb_access owner to supabase_admin;
