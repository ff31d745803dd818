@needs:supabase-kong @needs:supabase-realtime @needs:supabase-db
Feature: Changes to todos reach subscribers live through Realtime
  Subscribers connect through Kong's websocket route, join a channel for postgres_changes on their
  own todos, and receive every insert, update and delete within seconds — never another user's.

  Background:
    Given users "alice" and "bob" exist

  Scenario: A subscriber receives inserts, updates and deletes of their todos
    Given "alice" subscribes to changes of her todos
    When a todo "buy milk" is written for "alice"
    Then "alice" receives an INSERT of "buy milk" within 10 seconds
    When that todo is marked done
    Then "alice" receives an UPDATE of "buy milk" within 10 seconds
    When that todo is deleted
    Then "alice" receives a DELETE within 10 seconds

  Scenario: A subscriber does not receive another user's private todos
    Given "bob" subscribes to changes of all todos
    When a todo "alice's secret" is written for "alice"
    Then "bob" receives nothing within 3 seconds

  Scenario: A broadcast reaches a second client
    Given "alice" and "bob" join the broadcast channel "room-1"
    When "alice" broadcasts "hello" on it
    Then "bob" receives the broadcast "hello" within 5 seconds
    And "alice" does not receive her own broadcast

  Scenario: Delivery latency is reported
    Given "alice" subscribes to changes of her todos
    When 20 todos are written for "alice" one after another
    Then "alice" receives all 20 INSERTs and the p50 and p95 delivery latency is reported
