import type { Database } from "./database.types";

export type Todo = Database["public"]["Tables"]["todos"]["Row"];

/** A change as Supabase Realtime delivers it (postgres_changes, as supabase-js maps it). */
export type TodoChange =
  | { eventType: "INSERT"; new: Todo }
  | { eventType: "UPDATE"; new: Todo }
  | { eventType: "DELETE"; old: Partial<Todo> };

/** The list after `change`, oldest first; the same insert applied twice (our own write, then its echo) keeps one row. */
export function applyChange(todos: Todo[], change: TodoChange): Todo[] {
  switch (change.eventType) {
    case "INSERT":
      return sortTodos([...todos.filter((t) => t.id !== change.new.id), change.new]);
    case "UPDATE":
      return todos.map((t) => (t.id === change.new.id ? change.new : t));
    case "DELETE":
      return todos.filter((t) => t.id !== change.old.id);
  }
}

/** `current` merged with a fresh read of the table: rows from `fresh` win, rows only in `current` stay. */
export function mergeTodos(current: Todo[], fresh: Todo[]): Todo[] {
  const ids = new Set(fresh.map((t) => t.id));
  return sortTodos([...fresh, ...current.filter((t) => !ids.has(t.id))]);
}

export function sortTodos(todos: Todo[]): Todo[] {
  return [...todos].sort((a, b) => a.inserted_at.localeCompare(b.inserted_at) || a.id - b.id);
}
