import type { Metadata } from "next";
import { isAuthRetryableFetchError } from "@supabase/supabase-js";
import { redirect } from "next/navigation";

import { SignOutButton } from "@/components/sign-out-button";
import { TodoList } from "@/components/todo-list";
import { createClient } from "@/lib/supabase/server";
import type { Todo } from "@/lib/todos";

export const metadata: Metadata = { title: "Todos · AIWAH OS" };

export default async function TodosPage() {
  const supabase = await createClient();
  const { data: auth, error: authError } = await supabase.auth.getClaims();
  const claims = auth?.claims;
  if (!claims && isAuthRetryableFetchError(authError)) return <Unreachable />;
  if (!claims) redirect("/login");

  // RLS returns this user's rows only; no filter is needed for correctness.
  const { data, error } = await supabase.from("todos").select("*").order("inserted_at");
  const todos: Todo[] = data ?? [];

  return (
    <section className="space-y-6">
      <div className="flex items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">Your todos</h1>
          <p data-testid="user-email" className="text-sm text-slate-600">
            {claims.email ?? claims.sub}
          </p>
        </div>
        <SignOutButton />
      </div>
      <TodoList userId={claims.sub} initialTodos={todos} initialError={error?.message ?? null} />
    </section>
  );
}

function Unreachable() {
  return (
    <section className="space-y-3">
      <h1 className="text-2xl font-bold tracking-tight">Your todos</h1>
      <p data-testid="todo-error" role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        Supabase is not reachable right now. Try again in a moment.
      </p>
    </section>
  );
}
