Feature: The platform comes back from faults without losing what it committed
  A database container killed with SIGKILL (no shutdown, the way a crash or an OOM kill ends it) and
  started again, the way `cargo xtask restart` starts a service: what was committed before the fault
  is still there, row-level security still holds, and the services that use the database answer again.

  Each scenario faults a copy of the stacks of its own: the suite deployment is shared by every
  scenario process running in parallel, and a killed database there would fail scenarios that have
  nothing to do with faults.

  @uses:own-copy @needs:supabase-db
  Scenario: The Supabase database killed with SIGKILL comes back with every committed todo and its row-level security
    Given a copy of the supabase stack of this scenario's own
    And users "alice" and "bob" exist
    And "alice" has a todo "buy milk" and "bob" has a todo "walk the dog"
    And 200 more todos are committed for "bob"
    And the count and checksum of every todo are noted
    When the "supabase/db" container is killed with SIGKILL and started again
    Then the database server is a new one since the fault
    And the count and checksum of every todo are as noted
    When "alice" lists the todos in SQL
    Then she sees exactly the todos "buy milk"
    When "alice" adds a todo "not mine" for "bob" in SQL
    Then the database refuses it with SQLSTATE 42501

  @uses:own-copy @needs:n8n @needs:n8n-postgres
  Scenario: n8n answers its webhook again after its database is killed with SIGKILL mid-workflow
    Given a copy of the n8n stack of this scenario's own
    And the fixture workflow "echo" is imported and published through n8n's API
    When its webhook is called with {"title": "before the fault"}
    Then the webhook answers with the echo of {"title": "before the fault"}
    And n8n records a successful execution of it
    When n8n's database is killed with SIGKILL while its webhook is being called, and started again
    Then the webhook answers with the echo of {"title": "after the fault"} again within 180 seconds
    And every execution n8n recorded before the fault is still in its database

  @uses:own-copy @needs:supabase-db @needs:supabase-kong @needs:supabase-rest @needs:supabase-auth
  Scenario: PostgREST answers again once its database is back
    Given a copy of the supabase stack of this scenario's own
    And users "alice" and "bob" signed up through the API
    And "alice" has a todo "buy milk" and "bob" has a todo "walk the dog"
    When the "supabase/db" container is killed with SIGKILL and started again
    Then "alice" sees exactly the todos "buy milk" through REST again within 60 seconds

  @uses:own-copy @needs:supabase-db @needs:supabase-kong @needs:supabase-realtime @needs:supabase-auth
  Scenario: A Realtime subscriber receives changes again once the database is back
    Given a copy of the supabase stack of this scenario's own
    And users "alice" and "bob" signed up through the API
    And "alice" subscribes to changes of her todos
    When the "supabase/db" container is killed with SIGKILL and started again
    And a todo "after the fault" is written for "alice"
    Then "alice" receives an INSERT of "after the fault" within 60 seconds

  @uses:own-copy @needs:supabase-db @needs:supabase-kong @needs:supabase-auth
  Scenario: GoTrue sessions survive a GoTrue restart
    Given a copy of the supabase stack of this scenario's own
    And users "alice" and "bob" signed up through the API
    When the "supabase/auth" container is killed with SIGKILL and started again
    And "alice" refreshes her session
    Then she gets a new access token and a different refresh token
    When "alice" asks who she is
    Then GoTrue answers with her id and email
