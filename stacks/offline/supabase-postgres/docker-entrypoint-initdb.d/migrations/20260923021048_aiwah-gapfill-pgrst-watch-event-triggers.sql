-- AIWAH substitute addition — NOT a supabase/postgres file.
-- Upstream's final schema (supabase/postgres migrations/schema-17.sql, commit 832e2cb3) has the event
-- triggers pgrst_ddl_watch / pgrst_drop_watch, which make PostgREST reload its schema cache after DDL.
-- The upstream migration that creates them is not in the file index this recipe was written from, so
-- they are created here, exactly as that dump declares them. Their functions come from the upstream
-- migrations 20260820000001 and 20260923021047 (copied verbatim into this folder).
do $$
begin
  if not exists (select from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    CREATE EVENT TRIGGER pgrst_ddl_watch ON ddl_command_end
       EXECUTE FUNCTION extensions.pgrst_ddl_watch();
  end if;
  if not exists (select from pg_event_trigger where evtname = 'pgrst_drop_watch') then
    CREATE EVENT TRIGGER pgrst_drop_watch ON sql_drop
       EXECUTE FUNCTION extensions.pgrst_drop_watch();
  end if;
end $$;
