Feature: The gateway refuses what it must
  Only tokens signed with the deployment's secret pass, admin routes need the service role, and
  every admin port is bound to the loopback interface.

  @needs:supabase-kong @needs:supabase-rest
  # forged: signed with another secret; expired: right secret, past exp; unsigned: alg none.
  Scenario Outline: A <kind> JWT is refused by PostgREST
    Given a <kind> JWT for the authenticated role
    When it is sent as the bearer token to the todos through REST
    Then REST refuses it with HTTP 401

    Examples:
      | kind     |
      | forged   |
      | expired  |
      | unsigned |

  @needs:supabase-kong @needs:supabase-meta
  Scenario: The database admin API needs the service role
    When the anon key alone asks the gateway for /pg/tables
    Then the gateway refuses it with HTTP 401 or 403
    When the service role asks the gateway for /pg/tables
    Then the gateway answers with HTTP 200

  @needs:supabase-kong @needs:supabase-realtime
  Scenario: Realtime's tenant admin API is not reachable through Kong
    When the service role asks the gateway for /realtime/v1/api/tenants
    Then the gateway refuses it with HTTP 403 or 404

  Scenario: Every published port is bound to the loopback interface
    Then every port the deployment publishes is bound to 127.0.0.1
