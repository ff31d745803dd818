-- AIWAH: schema `auth` as GoTrue (supabase_auth_admin) finds it on first start: its first tables, the
-- migration versions they stand for, and the helper functions row-level-security policies call.
-- GoTrue's own migrations take it from here. Runs as postgres (superuser at this point).

create schema auth authorization supabase_admin;

create table auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  "role" varchar(255),
  email varchar(255) unique,
  encrypted_password varchar(255),
  confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz
);
create index users_instance_id_idx on auth.users (instance_id);
create index users_instance_id_email_idx on auth.users (instance_id, email);

create table auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  "token" varchar(255),
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz
);
create index refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index refresh_tokens_token_idx on auth.refresh_tokens ("token");

create table auth.instances (id uuid primary key, uuid uuid, raw_base_config text, created_at timestamptz, updated_at timestamptz);

create table auth.audit_log_entries (instance_id uuid, id uuid primary key, payload json, created_at timestamptz);
create index audit_logs_instance_id_idx on auth.audit_log_entries (instance_id);

create table auth.schema_migrations ("version" varchar(255) primary key);
-- GoTrue's first seven migrations are what the tables above already are.
insert into auth.schema_migrations ("version")
select v from unnest(array['20171026211738', '20171026211808', '20171026211834', '20180103212743',
                           '20180108183307', '20180119214651', '20180125194653']) as v;

comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on table auth.refresh_tokens is 'Auth: Store of tokens used to refresh JWT tokens once they expire.';
comment on table auth.instances is 'Auth: Manages users across multiple sites.';
comment on table auth.audit_log_entries is 'Auth: Audit trail for user actions.';
comment on table auth.schema_migrations is 'Auth: Manages updates to the auth system.';

-- The request's JWT claims as PostgREST sets them: `request.jwt.claims` (one JSON text, PostgREST 9+),
-- or one `request.jwt.claim.<name>` setting per claim (older PostgREST). An empty setting counts as absent.
create function auth.jwt() returns jsonb language sql stable as $body$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$body$;
create function auth.uid() returns uuid language sql stable as $body$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid
$body$;
create function auth.role() returns text language sql stable as $body$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
$body$;
create function auth.email() returns text language sql stable as $body$
  select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''),
                  nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
$body$;
comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

-- Rights. The API roles may call the helpers (not read the tables); Realtime evaluates policies with them.
grant usage on schema auth to anon, authenticated, service_role, postgres, supabase_realtime_admin;
grant all on schema auth to supabase_auth_admin, dashboard_user;
grant execute on function auth.uid(), auth.role(), auth.email() to dashboard_user, supabase_realtime_admin;
do $owners$
declare
  t text;
begin
  foreach t in array array['users', 'refresh_tokens', 'instances', 'audit_log_entries', 'schema_migrations'] loop
    execute format('alter table auth.%I owner to supabase_auth_admin', t);
    -- postgres and Studio may read and change GoTrue's data, but not its migration bookkeeping.
    if t <> 'schema_migrations' then
      execute format('grant all on table auth.%I to postgres, dashboard_user', t);
    end if;
  end loop;
end
$owners$;
grant all on sequence auth.refresh_tokens_id_seq to postgres, dashboard_user;
alter function auth.jwt() owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
