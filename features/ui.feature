@needs:ui
Feature: The UI is served, renders in a real browser, and ships no secret
  The Next.js app runs in its own stack with the anon key only; a headless Chromium drives it.

  Scenario: The UI answers its health check
    When the UI's health route is called
    Then it answers HTTP 200 with status ok

  Scenario: The sign-in form renders in a real browser
    When Chromium opens the UI's sign-in page
    Then the sign-in form is shown and ready for input

  @uses:docker
  Scenario: The built bundle contains no service-role key
    When the UI image's built files are scanned
    Then they contain neither the service key, nor its payload, nor any service_role token

  @needs:supabase-kong @needs:supabase-auth @needs:supabase-rest @needs:supabase-realtime
  Scenario: A signed-in user sees a todo inserted through REST appear without reload
    Given a user "alice" signed up through the API
    And "alice" is signed in to the UI in Chromium
    When a todo "appears live" is inserted for "alice" through REST
    Then the todos page shows "appears live" without a reload
