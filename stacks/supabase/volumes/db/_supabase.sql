-- AIWAH: the second database, `_supabase`, where Logflare (schema _analytics) and Supavisor (schema
-- _supavisor) keep their own data. Mounted as migrations/97-_supabase.sql: runs once, as the bootstrap
-- superuser POSTGRES_USER, who owns both databases. Database `postgres` normally exists already.
\getenv owner POSTGRES_USER
select format('create database %I owner %I', 'postgres', :'owner')
 where not exists (select from pg_database where datname = 'postgres') \gexec
select format('create database %I owner %I', '_supabase', :'owner') \gexec
