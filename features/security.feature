Feature: The gateway and the services refuse what they must
  Only tokens signed with the deployment's secret pass PostgREST, admin routes need the service
  role, Realtime's management API is blocked at the gateway, and every admin port is bound to the
  loopback interface.

  # The anon key goes along as the apikey, so Kong lets the request through and the refusal is
  # PostgREST's own. forged: signed with another secret; expired: the right secret, exp an hour ago;
  # unsigned: alg none.
  @needs:supabase-kong @needs:supabase-rest @uses:jwt-secret
  Scenario Outline: PostgREST itself refuses the <kind> JWT
    Given a <kind> JWT for the authenticated role
    When it is sent as the bearer token, with the anon key, to the todos through REST
    Then PostgREST refuses it with HTTP 401 and code <code>

    Examples:
      | kind     | code     |
      | forged   | PGRST301 |
      | expired  | PGRST303 |
      | unsigned | PGRST301 |

  @needs:supabase-kong @needs:supabase-meta
  Scenario Outline: The database admin API with <who>: <outcome>
    When <who> asks the gateway for the database admin API
    Then the gateway answers <outcome>

    Examples:
      | who                  | outcome                         |
      | the service role key | served (200)                    |
      | the anon key         | refused by the ACL (403)        |
      | nobody               | refused for want of a key (401) |

  # Ping is the positive control: the same Realtime API route is served where it is not blocked.
  @needs:supabase-kong @needs:supabase-realtime
  Scenario Outline: Realtime through the gateway: <route> for <who> is <outcome>
    When <who> asks the gateway for <route>
    Then the gateway answers <outcome>

    Examples:
      | route                       | who                  | outcome       |
      | Realtime's ping             | the anon key         | served (200)  |
      | Realtime's tenant API       | the anon key         | blocked (403) |
      | Realtime's tenant API       | the service role key | blocked (403) |
      | Realtime's OpenAPI document | the anon key         | blocked (403) |
      | Realtime's OpenAPI document | the service role key | blocked (403) |

  @uses:docker
  Scenario: Every published port is bound to the loopback interface
    Then every port the deployment publishes is bound to 127.0.0.1
