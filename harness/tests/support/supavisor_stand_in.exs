# Test stand-in for the four Supavisor calls stacks/supabase/volumes/pooler/pooler.exs makes, loaded
# (`elixir -r`) before the script by harness/tests/pooler_tenant_script.rs. It follows Supavisor 2.9's
# contracts: Helpers.parse_pg_version's result shape, and the fields, types and required fields of the
# Tenant and User changesets (cast + validate_required). Where Ecto would silently drop an unknown
# field, the stand-in refuses it, so a misspelt attribute fails instead of vanishing.
#
# Environment: STAND_IN_LOG (a JSON line per call is appended), STAND_IN_TENANTS (one external_id per
# line: the tenants that exist), STAND_IN_SERVER_VERSION (what `select version()` answers).

defmodule StandIn do
  def record(call), do: File.write!(System.fetch_env!("STAND_IN_LOG"), json(call) <> "\n", [:append])

  def existing_tenants do
    path = System.fetch_env!("STAND_IN_TENANTS")
    if File.exists?(path), do: path |> File.read!() |> String.split("\n", trim: true), else: []
  end

  def add_tenant(id), do: File.write!(System.fetch_env!("STAND_IN_TENANTS"), id <> "\n", [:append])

  def json(nil), do: "null"
  def json(flag) when is_boolean(flag), do: Atom.to_string(flag)
  def json(n) when is_integer(n), do: Integer.to_string(n)
  def json(atom) when is_atom(atom), do: json(Atom.to_string(atom))
  def json(list) when is_list(list), do: "[" <> Enum.map_join(list, ",", &json/1) <> "]"
  def json(map) when is_map(map), do: "{" <> Enum.map_join(map, ",", fn {k, v} -> json(to_string(k)) <> ":" <> json(v) end) <> "}"

  def json(text) when is_binary(text) do
    escaped =
      for <<c::utf8 <- text>>, into: "" do
        case c do
          ?" -> "\\\""
          ?\\ -> "\\\\"
          c when c < 0x20 -> "\\u" <> String.pad_leading(Integer.to_string(c, 16), 4, "0")
          c -> <<c::utf8>>
        end
      end

    "\"" <> escaped <> "\""
  end

  # Ecto-style cast of one attribute: nil passes (validate_required catches it), else the type must fit.
  def castable?(nil, _type), do: true
  def castable?(v, :string), do: is_binary(v)
  def castable?(v, :integer), do: is_integer(v) or (is_binary(v) and match?({_, ""}, Integer.parse(v)))
  def castable?(v, :boolean), do: is_boolean(v) or v in ["true", "false"]
  def castable?(v, :map), do: is_map(v)
  def castable?(v, {:enum, allowed}), do: to_string(v) in allowed
  def castable?(v, {:array, :string}), do: is_list(v) and Enum.all?(v, &is_binary/1)

  # Problems of one changeset: unknown fields, values that do not cast, required fields left empty.
  def problems(attrs, fields, defaults, required, what) do
    attrs = Map.merge(defaults, attrs)
    unknown = for {k, _} <- attrs, not Map.has_key?(fields, k), do: "#{what}: unknown field #{k}"
    uncast = for {k, type} <- fields, not castable?(attrs[k], type), do: "#{what}: #{k} #{inspect(attrs[k])} is not #{inspect(type)}"
    missing = for k <- required, attrs[k] in [nil, ""], do: "#{what}: #{k} can't be blank"
    unknown ++ uncast ++ missing
  end
end

defmodule Supavisor.Repo do
  def query!("select version()"), do: %{rows: [[System.fetch_env!("STAND_IN_SERVER_VERSION")]], num_rows: 1}
end

defmodule Supavisor.Helpers do
  # "PostgreSQL 17.6 (Debian 17.6-1) on ..." -> {:ok, "17.6 (Debian 17.6-1)"}; "PostgreSQL 15.1 on ..." -> {:ok, "15.1"}
  def parse_pg_version(text) do
    case Regex.run(~r/^PostgreSQL (\d+\.\d+)( \(([^)]*)\))?/, text) do
      [_, number, _, platform] -> {:ok, "#{number} (#{platform})"}
      [_, number] -> {:ok, number}
      nil -> {:error, "Can't parse version in #{text}"}
    end
  end
end

defmodule Supavisor.Tenants do
  @tenant_fields %{
    "default_parameter_status" => :map,
    "external_id" => :string,
    "db_host" => :string,
    "db_port" => :integer,
    "db_database" => :string,
    "ip_version" => {:enum, ["v4", "v6", "auto"]},
    "upstream_ssl" => :boolean,
    "upstream_verify" => {:enum, ["none", "peer"]},
    "upstream_tls_ca" => :string,
    "enforce_ssl" => :boolean,
    "require_user" => :boolean,
    "auth_query" => :string,
    "default_pool_size" => :integer,
    "sni_hostname" => :string,
    "default_max_clients" => :integer,
    "client_idle_timeout" => :integer,
    "client_heartbeat_interval" => :integer,
    "allow_list" => {:array, :string},
    "availability_zone" => :string,
    "feature_flags" => :map,
    "use_jit" => :boolean,
    "jit_api_url" => :string,
    "users" => {:array, :map}
  }
  @tenant_defaults %{"require_user" => false, "allow_list" => ["0.0.0.0/0", "::/0"]}
  @tenant_required ~w(default_parameter_status external_id db_host db_port db_database require_user allow_list)
  @user_fields %{
    "db_user_alias" => :string,
    "db_user" => :string,
    "db_password" => :string,
    "pool_size" => :integer,
    "mode_type" => {:enum, ["transaction", "session"]},
    "is_manager" => :boolean,
    "pool_checkout_timeout" => :integer,
    "max_clients" => :integer
  }
  @user_required ~w(db_user db_password pool_size mode_type)

  def get_tenant_by_external_id(id) do
    StandIn.record(%{call: "get_tenant_by_external_id", external_id: id})
    if id in StandIn.existing_tenants(), do: %{external_id: id}, else: nil
  end

  def create_tenant(attrs) do
    users = Map.get(attrs, "users", [])
    tenant_problems = StandIn.problems(Map.delete(attrs, "users"), Map.delete(@tenant_fields, "users"), @tenant_defaults, @tenant_required, "tenant")
    user_problems = Enum.flat_map(users, &StandIn.problems(&1, @user_fields, %{}, @user_required, "user #{&1["db_user"]}"))
    problems = tenant_problems ++ user_problems
    StandIn.record(%{call: "create_tenant", attrs: attrs, problems: problems})

    cond do
      problems != [] -> {:error, problems}
      attrs["external_id"] in StandIn.existing_tenants() -> {:error, ["tenant: external_id has already been taken"]}
      true -> StandIn.add_tenant(attrs["external_id"]) && {:ok, %{external_id: attrs["external_id"]}}
    end
  end
end
