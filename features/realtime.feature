@uses:database
Feature: Changes to todos reach subscribers live through Realtime
  Subscribers connect through Kong's websocket route, join a channel for postgres_changes on their
  own todos, and receive every insert, update and delete within seconds — never another user's rows.
  Realtime applies row level security to inserts and updates only: a delete reaches every subscriber
  whose filter the deleted row passes, and carries nothing of the row but its primary key.

  Background:
    Given users "alice" and "bob" exist

  @needs:supabase-db
  Rule: The database hands Realtime the whole old row of a deleted todo (replica identity FULL)
    Realtime matches a delete against a subscriber's filter using only the old row the WAL keeps;
    by default that is the primary key, and a filter on user_id would never match.

    Scenario: A deleted todo's old row, as logical decoding reads it, names its owner
      Given logical decoding watches the database
      When a todo "buy milk" is written for "alice"
      And the todo "buy milk" is deleted
      Then the decoded DELETE of "buy milk" names its owner "alice"
      And the replica identity of the table "public.todos" is FULL

  @needs:supabase-kong @needs:supabase-realtime @needs:supabase-db @uses:jwt-secret
  Rule: Through Kong's websocket route

    Scenario: A subscriber receives inserts, updates and deletes of their todos
      Given "alice" subscribes to changes of her todos
      When a todo "buy milk" is written for "alice"
      Then "alice" receives an INSERT of "buy milk" within 10 seconds
      When the todo "buy milk" is marked done
      Then "alice" receives an UPDATE of "buy milk" within 10 seconds
      When the todo "buy milk" is deleted
      Then "alice" receives a DELETE of "buy milk" carrying only its id within 10 seconds

    Scenario: A subscriber does not receive another user's private todos
      Given "bob" subscribes to changes of all todos
      When a todo "alice's secret" is written for "alice"
      And a todo "walk the dog" is written for "bob"
      Then "bob" receives an INSERT of "walk the dog" within 10 seconds
      And "bob" receives nothing more within 3 seconds

    Scenario: An unfiltered subscriber gets another user's delete, carrying only the todo's id
      Given "bob" subscribes to changes of all todos
      When a todo "alice's secret" is written for "alice"
      And a todo "walk the dog" is written for "bob"
      Then "bob" receives an INSERT of "walk the dog" within 10 seconds
      When the todo "alice's secret" is deleted
      Then "bob" receives a DELETE of "alice's secret" carrying only its id within 10 seconds

    Scenario: A broadcast reaches a second client
      Given "alice" and "bob" join the broadcast channel "room-1"
      When "alice" broadcasts "hello" on it
      Then "bob" receives the broadcast "hello" within 5 seconds
      And "alice" does not receive her own broadcast

    Scenario: Delivery latency is reported
      Given "alice" subscribes to changes of her todos
      When 20 todos are written for "alice" one after another
      Then "alice" receives all 20 INSERTs and the p50 and p95 delivery latency is reported
