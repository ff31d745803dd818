-- AIWAH: database webhooks (Studio's "Database Webhooks"). Mounted as init-scripts/98-webhooks.sql, so it
-- runs once, as postgres while postgres is still a superuser, after the image's own init scripts. One
-- transaction: an image without pg_net (the offline substitute) keeps none of it.
--
-- A webhook is a row trigger calling supabase_functions.http_request(url, method, headers, params,
-- timeout_ms); the text 'null' stands for a missing argument. POST sends the changed row as JSON
-- ({type, table, schema, record, old_record}); GET sends only the params. Every request pg_net queues is
-- recorded in supabase_functions.hooks.
begin;

create extension if not exists pg_net schema extensions;

create schema supabase_functions authorization supabase_admin;
-- The API roles may use the schema and whatever the running role (postgres) creates in it later.
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
do $defaults$
declare
  kind text;
begin
  foreach kind in array array['tables', 'functions', 'sequences'] loop
    execute format('alter default privileges in schema supabase_functions grant all on %s to postgres, anon, authenticated, service_role', kind);
  end loop;
end
$defaults$;

create table supabase_functions.migrations (
  "version" text primary key,
  inserted_at timestamptz not null default now()
);
insert into supabase_functions.migrations ("version") values ('initial'), ('20210809183423_update_grants');

create table supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz not null default now(),
  request_id bigint
);
create index supabase_functions_hooks_request_id_idx on supabase_functions.hooks (request_id);
create index supabase_functions_hooks_h_table_id_h_name_idx on supabase_functions.hooks (hook_table_id, hook_name);
comment on table supabase_functions.hooks is 'Supabase Functions Hooks: Audit trail for triggered hooks.';

create function supabase_functions.http_request() returns trigger language plpgsql
security definer set search_path = supabase_functions as $body$
declare
  -- Trigger arguments; the text 'null' counts as absent.
  arg_url text := nullif(TG_ARGV[0], 'null');
  arg_method text := nullif(TG_ARGV[1], 'null');
  arg_headers jsonb;
  arg_params jsonb;
  arg_timeout_ms integer;
  queued_id bigint;
begin
  if arg_url is null then
    raise exception 'url argument is missing';
  elsif arg_method is null then
    raise exception 'method argument is missing';
  end if;
  arg_headers := coalesce(nullif(TG_ARGV[2], 'null')::jsonb, '{"Content-Type": "application/json"}');
  arg_params := coalesce(nullif(TG_ARGV[3], 'null')::jsonb, '{}');
  arg_timeout_ms := coalesce(nullif(TG_ARGV[4], 'null')::integer, 1000);
  if arg_method = 'GET' then
    queued_id := net.http_get(arg_url, arg_params, arg_headers, arg_timeout_ms);
  elsif arg_method = 'POST' then
    queued_id := net.http_post(arg_url,
      jsonb_build_object('type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA, 'record', NEW, 'old_record', OLD),
      arg_params, arg_headers, arg_timeout_ms);
  else
    raise exception 'method argument % is invalid', arg_method;
  end if;
  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id) values (TG_RELID, TG_NAME, queued_id);
  return NEW;
end
$body$;
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request() to postgres, anon, authenticated, service_role;

-- The role that owns the webhook objects.
do $role$
begin
  if not exists (select from pg_roles where rolname = 'supabase_functions_admin') then
    create role supabase_functions_admin login noinherit createrole noreplication;
  end if;
end
$role$;
alter role supabase_functions_admin set search_path = supabase_functions;
grant all on schema supabase_functions to supabase_functions_admin;
grant all on all tables in schema supabase_functions to supabase_functions_admin;
grant all on all sequences in schema supabase_functions to supabase_functions_admin;
alter table supabase_functions.migrations owner to supabase_functions_admin;
alter table supabase_functions.hooks owner to supabase_functions_admin;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
grant supabase_functions_admin to postgres;

-- An older image version had a separate pg_net admin role; its objects go to supabase_admin.
do $legacy$
begin
  if exists (select from pg_roles where rolname = 'supabase_pg_net_admin') then
    reassign owned by supabase_pg_net_admin to supabase_admin;
    drop owned by supabase_pg_net_admin;
    drop role supabase_pg_net_admin;
  end if;
end
$legacy$;

-- pg_net's request functions, callable by the webhook owner, postgres and the API roles. The same
-- rights are given by the event trigger below whenever pg_net is (re)created.
create or replace function extensions.grant_pg_net_access() returns event_trigger language plpgsql as $body$
declare
  fn text;
begin
  if not exists (select from pg_event_trigger_ddl_commands() as c
                 join pg_extension as x on x.oid = c.objid where x.extname = 'pg_net') then
    return;
  end if;
  grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated, service_role;
  foreach fn in array array['net.http_get(text, jsonb, jsonb, integer)', 'net.http_post(text, jsonb, jsonb, jsonb, integer)'] loop
    execute format('alter function %s security definer set search_path = net', fn);
    execute format('revoke all on function %s from public', fn);
    execute format('grant execute on function %s to supabase_functions_admin, postgres, anon, authenticated, service_role', fn);
  end loop;
end
$body$;
comment on function extensions.grant_pg_net_access() is 'Grants access to pg_net';

do $grants$
declare
  fn text;
begin
  if exists (select from pg_extension where extname = 'pg_net') then
    grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated, service_role;
    foreach fn in array array['net.http_get(text, jsonb, jsonb, integer)', 'net.http_post(text, jsonb, jsonb, jsonb, integer)'] loop
      execute format('alter function %s security definer set search_path = net', fn);
      execute format('revoke all on function %s from public', fn);
      execute format('grant execute on function %s to supabase_functions_admin, postgres, anon, authenticated, service_role', fn);
    end loop;
  end if;
end
$grants$;

do $trigger$
begin
  if not exists (select from pg_event_trigger where evtname = 'issue_pg_net_access') then
    create event trigger issue_pg_net_access on ddl_command_end when tag in ('CREATE EXTENSION')
      execute function extensions.grant_pg_net_access();
  end if;
end
$trigger$;

commit;
