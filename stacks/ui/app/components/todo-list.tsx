"use client";

import Link from "next/link";
import { useEffect, useState } from "react";

import { createClient } from "@/lib/supabase/client";
import { applyChange, sortTodos, type Todo, type TodoChange } from "@/lib/todos";

export function TodoList() {
  const [userId, setUserId] = useState<string | null | undefined>(undefined);
  const [todos, setTodos] = useState<Todo[]>([]);
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const supabase = createClient();
    let cancelled = false;
    let channel: ReturnType<typeof supabase.channel> | undefined;
    (async () => {
      const { data } = await supabase.auth.getUser();
      if (cancelled) return;
      const id = data.user?.id ?? null;
      setUserId(id);
      if (!id) return;
      // Subscribe first, then load: a row inserted in between arrives either way (applyChange dedupes).
      channel = supabase
        .channel(`todos:${id}`)
        .on("postgres_changes", { event: "*", schema: "public", table: "todos", filter: `user_id=eq.${id}` }, (payload) =>
          setTodos((list) => applyChange(list, payload as unknown as TodoChange)),
        )
        .subscribe();
      const { data: rows, error } = await supabase.from("todos").select("*").order("inserted_at");
      if (cancelled) return;
      if (error) setError(error.message);
      else setTodos((list) => sortTodos([...(rows as Todo[]), ...list.filter((t) => !rows.some((r) => r.id === t.id))]));
    })().catch((e: unknown) => setError(e instanceof Error ? e.message : "Supabase is not reachable"));
    return () => {
      cancelled = true;
      if (channel) void supabase.removeChannel(channel);
    };
  }, []);

  async function add() {
    const text = title.trim();
    if (!text) return;
    const { data, error } = await createClient().from("todos").insert({ title: text }).select().single();
    if (error) return setError(error.message);
    setTitle("");
    setTodos((list) => applyChange(list, { eventType: "INSERT", new: data as Todo }));
  }

  async function toggle(todo: Todo) {
    const { error } = await createClient().from("todos").update({ done: !todo.done }).eq("id", todo.id);
    if (error) return setError(error.message);
    setTodos((list) => applyChange(list, { eventType: "UPDATE", new: { ...todo, done: !todo.done } }));
  }

  async function signOut() {
    await createClient().auth.signOut();
    setUserId(null);
    setTodos([]);
  }

  if (userId === undefined) return <p className="text-slate-500">Loading…</p>;
  if (userId === null)
    return (
      <p>
        <Link href="/login" className="underline">
          Sign in
        </Link>{" "}
        to see your todos.
      </p>
    );

  return (
    <div className="space-y-4">
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <input
          data-testid="new-todo"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="What needs doing?"
          className="flex-1 rounded-md border border-slate-300 px-3 py-2"
        />
        <button data-testid="add-todo" type="submit" className="rounded-md bg-slate-900 px-4 py-2 text-white">
          Add
        </button>
      </form>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      <TodoItems todos={todos} onToggle={(t) => void toggle(t)} />
      <button onClick={() => void signOut()} className="text-sm text-slate-500 underline">
        Sign out
      </button>
    </div>
  );
}

export function TodoItems({ todos, onToggle }: { todos: Todo[]; onToggle: (todo: Todo) => void }) {
  if (todos.length === 0) return <p className="text-slate-500">Nothing yet.</p>;
  return (
    <ul data-testid="todo-list" className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
      {todos.map((todo) => (
        <li key={todo.id} data-testid="todo-item" className="flex items-center gap-3 px-4 py-2">
          <input type="checkbox" checked={todo.done} onChange={() => onToggle(todo)} aria-label={`done: ${todo.title}`} />
          <span className={todo.done ? "text-slate-400 line-through" : ""}>{todo.title}</span>
        </li>
      ))}
    </ul>
  );
}
