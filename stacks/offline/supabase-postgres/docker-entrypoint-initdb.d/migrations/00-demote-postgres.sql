-- AIWAH: the end of the image's own init (runs as supabase_admin, after the init scripts including the
-- compose file's webhooks.sql, roles.sql and jwt.sql). postgres keeps everything a project owner needs —
-- it owns database `postgres`, bypasses row-level security, creates roles and databases, replicates —
-- but is no longer a superuser; supabase_admin stays the only one.

alter role postgres with nosuperuser createdb createrole login replication bypassrls;
