@needs:supabase-kong @needs:supabase-auth
Feature: Users sign up, sign in and out through GoTrue behind Kong
  Everything goes through Kong on the public port with the anon key, the way the UI does it.

  Scenario: A new user signs up and is signed in at once (email autoconfirm)
    When a new user signs up with an email and a password
    Then they get a session for that email

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
    And the old refresh token cannot be used again

  Scenario: The user endpoint returns the signed-in user
    Given a user "alice" signed up through the API
    When "alice" asks who she is
    Then GoTrue answers with her id and email

  Scenario: Signing out revokes the refresh token
    Given a user "alice" signed up through the API
    When "alice" signs out
    Then her refresh token cannot be used again

  Scenario: The service role creates and deletes users
    When the service role creates a confirmed user
    Then that user can sign in
    When the service role deletes that user
    Then that user can no longer sign in

  Scenario: The anon key cannot use the admin endpoints
    When the anon key alone asks for the list of users
    Then GoTrue refuses it with HTTP 401 or 403
