-- AIWAH: the service logins get their password from the environment (PGPASSWORD = POSTGRES_PASSWORD in
-- the compose file): PostgREST (authenticator), the pooler's auth lookup (pgbouncer), GoTrue
-- (supabase_auth_admin), storage-api (supabase_storage_admin). Mounted as init-scripts/99-roles.sql:
-- runs once, as postgres. Use a strong POSTGRES_PASSWORD outside throwaway copies.
\getenv password PGPASSWORD
select format('alter role %I with password %L', login, :'password')
  from unnest(array['authenticator', 'pgbouncer', 'supabase_auth_admin', 'supabase_storage_admin']) as login \gexec
