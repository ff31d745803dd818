Feature: Row-level security keeps each user's todos private
  Todos belong to the user who wrote them. The database enforces it with row-level security, so
  every way in — SQL as the API roles, or REST through Kong — gives the same answers.

  @needs:supabase-db @uses:database
  Rule: In the database, as PostgREST runs each request (role and JWT claims set per transaction)

    Background:
      Given users "alice" and "bob" exist
      And "alice" has a todo "buy milk" and "bob" has a todo "walk the dog"

    Scenario: A user sees only their own todos (SQL)
      When "alice" lists the todos in SQL
      Then she sees exactly the todos "buy milk"

    Scenario: A user cannot write a todo for another user (SQL)
      When "alice" adds a todo "not mine" for "bob" in SQL
      Then the database refuses it with SQLSTATE 42501

    Scenario: A user cannot change another user's todos (SQL)
      When "alice" marks every todo done in SQL
      Then 1 todo was changed
      And the todo "walk the dog" is still not done

    Scenario: An anonymous caller reads no todos (SQL)
      When an anonymous caller lists the todos in SQL
      Then the database refuses it with SQLSTATE 42501

    Scenario: The service role sees every todo (SQL)
      When the service role lists the todos in SQL
      Then it sees the todos "buy milk" and "walk the dog"

  @needs:supabase-kong @needs:supabase-rest @needs:supabase-auth
  Rule: Through Kong and PostgREST, as the signed-in user

    Background:
      Given users "alice" and "bob" signed up through the API
      And "alice" has a todo "buy milk" and "bob" has a todo "walk the dog"

    Scenario: A user sees only their own todos (REST)
      When "alice" lists the todos through REST
      Then she sees exactly the todos "buy milk"

    Scenario: A user cannot write a todo for another user (REST)
      When "alice" adds a todo "not mine" for "bob" through REST
      Then REST refuses it with HTTP 403 and code 42501

    Scenario: A user cannot change another user's todos (REST)
      When "alice" marks every todo done through REST
      Then 1 todo was changed
      And the todo "walk the dog" is still not done

    Scenario: The anon key alone reads no todos (REST)
      When the anon key alone lists the todos through REST
      Then REST refuses it with HTTP 401 and code 42501

    Scenario: The service role key sees every todo (REST)
      When the service role lists the todos through REST
      Then it sees the todos "buy milk" and "walk the dog"
