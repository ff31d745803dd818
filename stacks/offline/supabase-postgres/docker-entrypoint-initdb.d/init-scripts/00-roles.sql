-- AIWAH: the roles of the official supabase/postgres image as they stand after its init, with their
-- attributes, memberships and per-role settings. Runs as `postgres` while it is still a superuser;
-- migrations/00-demote-postgres.sql takes superuser away from it at the end. Passwords: supabase_admin and
-- postgres get POSTGRES_PASSWORD from migrate.sh; the compose file's roles.sql sets the service logins.

-- The bootstrap superuser (initdb --username=supabase_admin).
alter role supabase_admin with superuser createdb createrole replication bypassrls;
alter role supabase_admin set search_path to "$user", public, auth, extensions;
alter role postgres set search_path to "$user", public, extensions;

-- PostgREST's request roles. The JWT's `role` claim picks one; authenticator switches into it.
create role anon nologin inherit;
create role authenticated nologin inherit;
create role service_role nologin inherit bypassrls;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- PostgREST logs in as authenticator, which holds no rights of its own (noinherit): only SET ROLE.
create role authenticator login noinherit;
grant anon, authenticated, service_role, supabase_admin to authenticator;
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

-- One login per service; each owns its schema's objects and sees only that schema by default.
create role supabase_auth_admin login noinherit nocreaterole noreplication;
alter role supabase_auth_admin set search_path = auth;
create role supabase_storage_admin login noinherit createrole noreplication;
alter role supabase_storage_admin set search_path = storage;
create role supabase_realtime_admin login noinherit createrole replication;
alter role supabase_realtime_admin set search_path = public, extensions, realtime;
grant anon, authenticated, service_role to supabase_realtime_admin;

-- Replication, ETL and read-only logins.
create role supabase_replication_admin login replication;
create role supabase_etl_admin login replication bypassrls;
create role supabase_read_only_user login bypassrls;
grant pg_read_all_data to supabase_etl_admin, supabase_read_only_user;

-- Studio's role, the pooler's auth lookup login, and the group roles postgres belongs to.
create role dashboard_user nologin createdb createrole replication;
create role pgbouncer login;
create role supabase_superuser nologin;
grant pg_monitor, pg_signal_backend to supabase_superuser;
grant supabase_superuser to postgres;
create role duckdb_role nologin;
grant duckdb_role to postgres with admin option;
grant duckdb_role to service_role, supabase_admin;
-- Since PostgreSQL 16 CREATEROLE no longer implies the right to hand out other roles: postgres may grant
-- the three API roles to roles it creates (the official image does this on 16 and later).
grant anon, authenticated, service_role to postgres with admin option;

-- Database-level rights.
grant all on database postgres to dashboard_user;
grant create on database postgres to supabase_auth_admin, supabase_storage_admin, supabase_realtime_admin, supabase_etl_admin;
grant execute on function pg_catalog.pg_reload_conf() to postgres;
-- Realtime's change reader lowers log_min_messages in its own session.
grant set on parameter log_min_messages to supabase_realtime_admin;
-- GoTrue reads the catalog views while migrating.
grant select on all tables in schema information_schema to supabase_auth_admin;
