-- AIWAH: the pooler's password lookup. A pooler logs in as `pgbouncer` and asks for the stored SCRAM
-- verifier of the role a client wants to be; only roles that may log in and whose password has not
-- expired are answered. It reads pg_authid, so it runs as its owner supabase_admin (postgres is demoted
-- at the end of init). Runs as postgres (superuser at this point).

create schema pgbouncer authorization pgbouncer;
revoke all on schema public from pgbouncer;

create function pgbouncer.get_auth(p_usename text) returns table (username text, password text)
language plpgsql security definer set search_path = '' as $body$
begin
  raise debug 'PgBouncer auth request: %', p_usename;
  return query
    select a.rolname::text,
           case when a.rolvaliduntil < pg_catalog.now() then null else a.rolpassword::text end
      from pg_catalog.pg_authid as a
     where a.rolname = p_usename and a.rolcanlogin;
end
$body$;
alter function pgbouncer.get_auth(text) owner to supabase_admin;
revoke all on function pgbouncer.get_auth(text) from public;
grant execute on function pgbouncer.get_auth(text) to pgbouncer, postgres;
