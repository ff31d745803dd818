-- AIWAH: what Supabase Realtime needs before it starts: schema `realtime` for its per-project objects,
-- and the publication postgres_changes listens to (empty: tables join it when a project opts in).
-- Realtime's own bookkeeping schema `_realtime` comes from the compose file's realtime.sql.
-- Runs as postgres (superuser at this point).

create schema realtime authorization supabase_admin;
grant all on schema realtime to supabase_realtime_admin with grant option;
grant usage on schema realtime to postgres with grant option;
grant usage on schema realtime to anon, authenticated, service_role;

create publication supabase_realtime;
alter publication supabase_realtime owner to postgres;
