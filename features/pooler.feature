Feature: Supavisor pools connections to the database
  Supavisor serves the deployment's one tenant in transaction mode on port 6543 and knows it by the
  user name, postgres.<tenant>. It publishes no host port: it is a way into the database.

  @needs:supabase-pooler @needs:supabase-db @uses:docker
  Scenario: A query runs through Supavisor in transaction mode
    When the query "select 'pooler_ok'" runs through Supavisor in transaction mode as postgres.<tenant>
    Then Supavisor answers "pooler_ok"
    When the same query runs as postgres.<a tenant Supavisor does not know>
    Then Supavisor refuses the connection with SQLSTATE XX000
