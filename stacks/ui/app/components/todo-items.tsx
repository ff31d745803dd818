import type { Todo } from "@/lib/todos";

type Props = {
  todos: Todo[];
  onToggle: (todo: Todo) => void;
};

/** The list itself: always rendered (empty or not), one item per todo with its done checkbox. */
export function TodoItems({ todos, onToggle }: Props) {
  return (
    <div>
      <ul
        data-testid="todo-list"
        className={todos.length > 0 ? "divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white" : undefined}
      >
        {todos.map((todo) => (
          <li key={todo.id} data-testid="todo-item" data-done={todo.done ? "true" : "false"} className="flex items-center gap-3 px-4 py-3">
            <input
              type="checkbox"
              data-testid="todo-toggle"
              checked={todo.done}
              onChange={() => onToggle(todo)}
              aria-label={`Done: ${todo.title}`}
              className="h-4 w-4 accent-slate-900"
            />
            <span className={todo.done ? "text-slate-400 line-through" : "text-slate-900"}>{todo.title}</span>
          </li>
        ))}
      </ul>
      {todos.length === 0 && (
        <p data-testid="todo-empty" className="rounded-xl border border-dashed border-slate-300 px-4 py-6 text-center text-slate-500">
          Nothing yet: add your first todo above.
        </p>
      )}
    </div>
  );
}
