-- AIWAH: Realtime's own bookkeeping schema (tenants, extensions; DB_AFTER_CONNECT_QUERY puts it first on
-- the search path) in database postgres, owned by POSTGRES_USER. Mounted as migrations/99-realtime.sql:
-- runs once, as the bootstrap superuser.
\getenv owner POSTGRES_USER
create schema if not exists _realtime;
select format('alter schema %I owner to %I', '_realtime', :'owner') \gexec
