"use client";

import { useEffect, useState, type FormEvent } from "react";

import { createClient } from "@/lib/supabase/client";
import { applyChange, mergeTodos, type Todo, type TodoChange } from "@/lib/todos";

import { TodoItems } from "./todo-items";

type Props = {
  userId: string;
  initialTodos: Todo[];
  initialError?: string | null;
};

/**
 * The signed-in user's todos: the server's first read, then live through Supabase Realtime
 * (postgres_changes on public.todos for this user; RLS decides what is delivered).
 */
export function TodoList({ userId, initialTodos, initialError = null }: Props) {
  const [todos, setTodos] = useState<Todo[]>(initialTodos);
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(initialError);
  const [live, setLive] = useState(false);

  useEffect(() => {
    const supabase = createClient();
    const channel = supabase
      .channel(`todos:${userId}`)
      .on("postgres_changes", { event: "*", schema: "public", table: "todos", filter: `user_id=eq.${userId}` }, (payload) =>
        setTodos((list) => applyChange(list, payload as unknown as TodoChange)),
      )
      .subscribe((status) => {
        setLive(status === "SUBSCRIBED");
        if (status !== "SUBSCRIBED") return;
        // Rows written between the server's read and this subscription: read once more.
        void supabase
          .from("todos")
          .select("*")
          .order("inserted_at")
          .then(({ data, error }) => {
            if (error) setError(error.message);
            else setTodos((list) => mergeTodos(list, data));
          });
      });
    return () => {
      void supabase.removeChannel(channel);
    };
  }, [userId]);

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = title.trim();
    if (!text) return;
    setError(null);
    const { data, error } = await createClient().from("todos").insert({ title: text }).select().single();
    if (error) return setError(error.message);
    setTitle("");
    setTodos((list) => applyChange(list, { eventType: "INSERT", new: data }));
  }

  async function toggle(todo: Todo) {
    const changed = { ...todo, done: !todo.done };
    setTodos((list) => applyChange(list, { eventType: "UPDATE", new: changed }));
    const { error } = await createClient().from("todos").update({ done: changed.done }).eq("id", todo.id);
    if (error) {
      setError(error.message);
      setTodos((list) => applyChange(list, { eventType: "UPDATE", new: todo }));
    }
  }

  return (
    <div className="space-y-4" data-testid="todos" data-live={live ? "true" : "false"}>
      <form onSubmit={(e) => void add(e)} className="flex gap-2">
        <input
          data-testid="new-todo"
          name="title"
          value={title}
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="What needs doing?"
          aria-label="New todo"
          className="flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 outline-none focus:border-slate-500 focus:ring-2 focus:ring-slate-200"
        />
        <button data-testid="add-todo" type="submit" className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700">
          Add
        </button>
      </form>
      {error && (
        <p data-testid="todo-error" role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <TodoItems todos={todos} onToggle={(t) => void toggle(t)} />
      <p className="text-xs text-slate-500">{live ? "Live: changes made elsewhere appear here." : "Connecting to live updates…"}</p>
    </div>
  );
}
