Feature: n8n runs workflows and reaches Supabase only through Kong
  n8n has its own database; its workflows call Supabase over HTTP through Kong with the service key,
  never with a database credential. The key is an n8n credential, stored encrypted and sent only to
  Kong: neither n8n's environment nor a workflow nor an execution's saved request holds it.

  @needs:n8n @needs:n8n-postgres
  Scenario: A fixture workflow, published, answers its webhook
    Given the fixture workflow "echo" is imported and published through n8n's API
    When its webhook is called with {"title": "ping"}
    Then the webhook answers with the echo of {"title": "ping"}
    And n8n records a successful execution of it

  @needs:n8n @needs:supabase-kong @needs:supabase-rest @uses:database
  Scenario: A workflow writes a todo through Kong, visible through REST
    Given users "alice" and "bob" exist
    And the fixture workflow "todo-through-kong" is imported and published through n8n's API
    When its webhook is called with a todo "from n8n" for "alice"
    Then the webhook answers with the row it wrote
    And the todo "from n8n" of "alice" is visible through REST with the service role

  @needs:n8n @observes:supabase-kong @uses:docker
  Scenario: A workflow calls Kong on the shared network with the service key
    Given the fixture workflow "todo-through-kong" is imported and published through n8n's API
    When its webhook is called with {"title": "observed", "user_id": "00000000-0000-0000-0000-000000000000"}
    Then the gateway saw POST /rest/v1/todos carrying the service key as apikey and as bearer token

  @needs:n8n @uses:docker
  Scenario: The n8n stack holds no Supabase credential in its environment
    Then no container of the n8n stack has the Supabase database password, the service key or a Supabase database address in its environment

  @needs:n8n @needs:n8n-postgres @uses:docker
  Scenario: A failed call to Kong leaves no copy of the service key in n8n's database
    Given the fixture workflow "todo-through-kong" is imported and published through n8n's API
    When its webhook is called with a todo for a user that does not exist, titled with a fresh marker
    Then the webhook answers that the workflow failed
    And n8n records a failed execution of it
    And a scan of every table of n8n's database finds the marker and no copy of the service key
