@needs:supabase-db @needs:n8n-postgres @uses:docker
Feature: Each stack's database is reachable only from its own stack
  The stacks meet over HTTP on the shared network, through Kong. No service can open a connection
  to another stack's database — not by service name, not by alias, not by IP address — while the
  stack's own services reach their database (the positive control: the probe can succeed).

  Scenario Outline: <position> cannot reach another stack's database <database>
    When the isolation probes run from <position>
    Then <database> is unreachable from there by every name and address

    Examples:
      | position         | database     |
      | supabase/kong    | n8n/postgres |
      | supabase/auth    | n8n/postgres |
      | supabase/rest    | n8n/postgres |
      | supabase/realtime| n8n/postgres |
      | supabase/db      | n8n/postgres |
      | n8n/n8n          | supabase/db  |
      | n8n/postgres     | supabase/db  |
      | ui/ui            | supabase/db  |
      | ui/ui            | n8n/postgres |

  Scenario Outline: <position> reaches its own stack's database <database> (positive control)
    When the isolation probes run from <position>
    Then <database> answers from there

    Examples:
      | position      | database     |
      | supabase/kong | supabase/db  |
      | supabase/rest | supabase/db  |
      | n8n/n8n       | n8n/postgres |

  Scenario: Only the entry points join the shared network
    Then the shared network holds exactly supabase/kong, n8n/n8n and ui/ui
