Feature: The gateway checks keys and logins before any service answers
  Kong on the public port wants a known apikey on the API routes, lets only the service role read
  PostgREST's OpenAPI root, and puts Studio behind the dashboard login — what upstream's
  self-hosted tests check. A refusal is only believed next to a request the same route serves.

  @needs:supabase-kong @needs:supabase-rest
  Scenario Outline: The REST root with <who>: <outcome>
    When <who> asks the gateway for the REST root
    Then the gateway answers <outcome>

    Examples:
      | who                  | outcome                         |
      | the service role key | served (200)                    |
      | the anon key         | refused by the ACL (403)        |
      | nobody               | refused for want of a key (401) |
      | a wrong key          | refused for a wrong key (401)   |

  @needs:supabase-kong @needs:supabase-auth
  Scenario Outline: The auth settings with <who>: <outcome>
    When <who> asks the gateway for the auth settings
    Then the gateway answers <outcome>

    Examples:
      | who          | outcome                         |
      | the anon key | served (200)                    |
      | nobody       | refused for want of a key (401) |
      | a wrong key  | refused for a wrong key (401)   |

  # pg_graphql may be off (the official image drops it on init): PostgREST still answers 200 with
  # an `errors` body, so 200 is the served answer either way.
  @needs:supabase-kong @needs:supabase-rest @needs:supabase-db
  Scenario Outline: GraphQL with <who>: <outcome>
    When <who> asks the gateway for GraphQL
    Then the gateway answers <outcome>

    Examples:
      | who          | outcome                         |
      | the anon key | served (200)                    |
      | nobody       | refused for want of a key (401) |
      | a wrong key  | refused for a wrong key (401)   |

  @needs:supabase-kong @needs:supabase-studio
  Scenario Outline: Studio with <who>: <outcome>
    When <who> asks the gateway for Studio
    Then the gateway answers <outcome>

    Examples:
      | who                     | outcome                           |
      | the dashboard login     | served (200)                      |
      | nobody                  | refused for want of a login (401) |
      | a wrong dashboard login | refused for want of a login (401) |
