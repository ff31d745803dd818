-- AIWAH: JWT lifetime in seconds (env JWT_EXP = JWT_EXPIRY), readable in SQL as
-- current_setting('app.settings.jwt_exp'). Mounted as init-scripts/99-jwt.sql: runs once, as postgres.
\getenv jwt_exp JWT_EXP
select format('alter database postgres set %I = %L', 'app.settings.jwt_exp', :'jwt_exp') \gexec
