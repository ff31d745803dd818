-- AIWAH: schema supabase_subscription_mgmt: postgres (not a superuser after init) may create, pause,
-- resume and drop logical-replication subscriptions through these security-definer functions, which
-- run as supabase_admin. `origin` (16+) chooses between replicating everything or local changes only.
-- Runs as postgres (superuser at this point); everything here belongs to supabase_admin.

set role supabase_admin;
create schema supabase_subscription_mgmt;

create function supabase_subscription_mgmt.pg_create_subscription(
  arg_subscription_name text, arg_connection_string text, arg_publication_name text, arg_slot_name text,
  arg_copy_data boolean = true, arg_origin text = 'any')
returns void language plpgsql security definer set search_path = pg_catalog, supabase_subscription_mgmt as $body$
declare
  server_major int := current_setting('server_version_num')::int / 10000;
  options text;
begin
  if arg_origin not in ('any', 'none') then
    raise exception 'invalid origin: %. origin must be either "any" or "none".', arg_origin;
  end if;
  if arg_origin = 'none' and server_major < 16 then
    raise exception 'postgresql version must be 16 or higher to specify origin other than "any". current version: %',
      current_setting('server_version_num');
  end if;
  options := format('slot_name=%L, create_slot=false, copy_data=%s', arg_slot_name, arg_copy_data);
  if arg_origin = 'none' then
    options := options || format(', origin=%L', arg_origin);
  end if;
  execute format('create subscription %I connection %L publication %I with (%s)',
                 arg_subscription_name, arg_connection_string, arg_publication_name, options);
end
$body$;

create function supabase_subscription_mgmt.pg_alter_subscription_disable(arg_subscription_name text)
returns void language plpgsql security definer set search_path = pg_catalog as $body$
begin
  execute format('alter subscription %I disable', arg_subscription_name);
end
$body$;

create function supabase_subscription_mgmt.pg_alter_subscription_enable(arg_subscription_name text)
returns void language plpgsql security definer set search_path = pg_catalog, supabase_subscription_mgmt as $body$
begin
  execute format('alter subscription %I enable', arg_subscription_name);
end
$body$;

-- The remote slot is detached first, so dropping works even when the publisher is gone.
create function supabase_subscription_mgmt.pg_drop_subscription(arg_subscription_name text)
returns void language plpgsql security definer set search_path = pg_catalog, supabase_subscription_mgmt as $body$
begin
  if not exists (select from pg_subscription where subname = arg_subscription_name
                 and (subslotname is not null or subconninfo is not null)) then
    raise exception 'no subscription found for name: %', arg_subscription_name;
  end if;
  execute format('alter subscription %I disable', arg_subscription_name);
  execute format('alter subscription %I set (slot_name = none)', arg_subscription_name);
  execute format('drop subscription %I', arg_subscription_name);
end
$body$;

grant usage on schema supabase_subscription_mgmt to postgres;
grant execute on all functions in schema supabase_subscription_mgmt to postgres;
reset role;
