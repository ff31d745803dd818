-- AIWAH substitute addition — NOT a supabase/postgres file.
-- The official image's auth.uid()/role()/email() read only the legacy per-claim settings
-- (request.jwt.claim.sub, ...) until GoTrue (supabase/auth) runs its own migrations on first start.
-- This file applies GoTrue's later definitions now, so the database alone already answers
-- `request.jwt.claims` (the only setting PostgREST >= 10 sets):
--   supabase/auth migrations/20220224000811_update_auth_functions.up.sql  (commit 2198ca84) — uid/role/email
--   supabase/auth migrations/20220531120530_add_auth_jwt_function.up.sql  (commit 0d5d5999) — jwt() + comments
-- Bodies are copied from those files. GoTrue re-runs the same CREATE OR REPLACE statements later as
-- supabase_auth_admin, so every function here must stay owned by supabase_auth_admin (CREATE OR REPLACE
-- keeps the owner; auth.jwt() is new here and is handed over explicitly).

-- update auth functions

create or replace function auth.uid() 
returns uuid 
language sql stable
as $$
  select 
  	coalesce(
		nullif(current_setting('request.jwt.claim.sub', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
	)::uuid
$$;

create or replace function auth.role() 
returns text 
language sql stable
as $$
  select 
  	coalesce(
		nullif(current_setting('request.jwt.claim.role', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
	)::text
$$;

create or replace function auth.email() 
returns text 
language sql stable
as $$
  select 
  	coalesce(
		nullif(current_setting('request.jwt.claim.email', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
	)::text
$$;

-- add auth.jwt function

comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select 
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

-- AIWAH: ownership as GoTrue would leave it (it creates auth.jwt() as supabase_auth_admin).
alter function auth.jwt() owner to supabase_auth_admin;
