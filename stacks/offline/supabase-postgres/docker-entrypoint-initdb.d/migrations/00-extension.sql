CREATE EXTENSION IF NOT EXISTS pg_stat_statements with schema extensions;
