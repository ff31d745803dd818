-- AIWAH: Supavisor's schema in database _supabase, owned by POSTGRES_USER. Mounted as
-- migrations/99-pooler.sql: runs once, as the bootstrap superuser, after 97-_supabase.sql.
\getenv owner POSTGRES_USER
\connect _supabase
create schema if not exists _supavisor;
select format('alter schema %I owner to %I', '_supavisor', :'owner') \gexec
