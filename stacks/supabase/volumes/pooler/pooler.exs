# AIWAH: Supavisor's one tenant for this stack, evaluated by `supavisor eval` after its migrations and
# before the server starts (compose `supavisor.command`). Creates the tenant POOLER_TENANT_ID once; a
# restart finds it and changes nothing.
#
# Clients log in as any database role (require_user: false): Supavisor looks the role's password up with
# pgbouncer.get_auth($1), connected as the manager user `pgbouncer` (password POSTGRES_PASSWORD). The pool
# mode and sizes come from POOLER_POOL_MODE, POOLER_DEFAULT_POOL_SIZE and POOLER_MAX_CLIENT_CONN; the
# database from POSTGRES_HOST (default "db"), POSTGRES_PORT and POSTGRES_DB. Clients are told the real
# server's version in the startup `server_version` parameter.
{:ok, _apps} = Application.ensure_all_started(:supavisor)

env = fn name -> System.get_env(name) end
tenant_id = env.("POOLER_TENANT_ID")
pool_size = env.("POOLER_DEFAULT_POOL_SIZE")

%{rows: [[version_text]]} = Supavisor.Repo.query!("select version()")
{:ok, server_version} = Supavisor.Helpers.parse_pg_version(version_text)

manager = %{
  "db_user" => "pgbouncer",
  "db_password" => env.("POSTGRES_PASSWORD"),
  "mode_type" => env.("POOLER_POOL_MODE"),
  "pool_size" => pool_size,
  "is_manager" => true
}

tenant = %{
  "external_id" => tenant_id,
  "db_host" => env.("POSTGRES_HOST") || "db",
  "db_port" => env.("POSTGRES_PORT"),
  "db_database" => env.("POSTGRES_DB"),
  "require_user" => false,
  "auth_query" => "SELECT * FROM pgbouncer.get_auth($1)",
  "default_max_clients" => env.("POOLER_MAX_CLIENT_CONN"),
  "default_pool_size" => pool_size,
  "default_parameter_status" => %{"server_version" => server_version},
  "users" => [manager]
}

case Supavisor.Tenants.get_tenant_by_external_id(tenant_id) do
  nil -> {:ok, _created} = Supavisor.Tenants.create_tenant(tenant)
  _existing -> :ok
end
