export type Todo = {
  id: number;
  user_id: string;
  title: string;
  done: boolean;
  inserted_at: string;
};

/** A change as Supabase Realtime delivers it (postgres_changes). */
export type TodoChange =
  | { eventType: "INSERT"; new: Todo }
  | { eventType: "UPDATE"; new: Todo }
  | { eventType: "DELETE"; old: Partial<Todo> };

/** The list after `change`, oldest first; applying the same insert twice keeps one row. */
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

export function sortTodos(todos: Todo[]): Todo[] {
  return [...todos].sort((a, b) => a.inserted_at.localeCompare(b.inserted_at) || a.id - b.id);
}
