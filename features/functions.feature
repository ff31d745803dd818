Feature: Edge Functions answer through the gateway
  The edge runtime serves the functions in stacks/supabase/volumes/functions behind Kong at
  /functions/v1, as upstream's self-hosted smoke test calls them.

  @needs:supabase-kong @needs:supabase-functions
  Scenario: The hello function answers through Kong
    When the function "hello" is called through the gateway with the anon key
    Then the function answers HTTP 200 with the JSON string "Hello from Edge Functions!"
