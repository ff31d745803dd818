@needs:supabase-kong @needs:supabase-auth
Feature: Users sign up, sign in and out through GoTrue behind Kong
  Everything goes through Kong on the public port with the anon key, the way the UI does it.

  Scenario: A new user signs up and is signed in at once (email autoconfirm)
    When a new user signs up with an email and a password
    Then they get a session for that email

  @uses:jwt-secret
  Scenario: A user signs in with their password
    Given a user "alice" signed up through the API
    When "alice" signs in with her password
    Then she gets a session whose token names her

  Scenario: A wrong password is refused
    Given a user "alice" signed up through the API
    When "alice" signs in with a wrong password
    Then GoTrue refuses it with HTTP 400 and code invalid_credentials

  Scenario: Refreshing a session rotates the refresh token
    Given a user "alice" signed up through the API
    When "alice" refreshes her session
    Then she gets a new access token and a different refresh token

  # GoTrue's reuse rule (internal/tokens/service.go): the parent of the active refresh token is
  # answered with the active one, in case the client lost the answer to its last refresh.
  Scenario: The refresh token just replaced is answered with its successor
    Given a user "alice" signed up through the API
    When "alice" refreshes her session
    And "alice" refreshes with her first refresh token
    Then GoTrue answers with her newest refresh token

  # Two rotations old is reuse: with GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL pinned to 0 in
  # stacks/supabase/compose.yml it is refused at once, and the session's whole token family with it.
  Scenario: A refresh token two rotations old is refused and revokes its successors
    Given a user "alice" signed up through the API
    When "alice" refreshes her session
    And "alice" refreshes her session
    And "alice" refreshes with her first refresh token
    Then GoTrue refuses it with HTTP 400 and code refresh_token_already_used
    When "alice" refreshes with her newest refresh token
    Then GoTrue refuses it with HTTP 400 and code refresh_token_already_used

  Scenario: The user endpoint returns the signed-in user
    Given a user "alice" signed up through the API
    When "alice" asks who she is
    Then GoTrue answers with her id and email

  # Logout (scope global) deletes the user's sessions, and their refresh tokens with them.
  Scenario: Signing out ends the session
    Given a user "alice" signed up through the API
    When "alice" signs out
    And "alice" refreshes with her newest refresh token
    Then GoTrue refuses it with HTTP 400 and code refresh_token_not_found
    When "alice" asks who she is with her old access token
    Then GoTrue refuses it with HTTP 403 and code session_not_found

  Scenario: The service role creates and deletes users
    When the service role creates a confirmed user
    Then that user can sign in
    When the service role deletes that user
    Then that user can no longer sign in

  # Kong lets the anon key through (ACL anon); GoTrue refuses the role in the bearer.
  Scenario: The anon key cannot use the admin endpoints
    When the anon key, as apikey and bearer, asks GoTrue for the list of users
    Then GoTrue refuses it with HTTP 403 and code not_admin
