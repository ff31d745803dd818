import Link from "next/link";

export default function Home() {
  return (
    <section className="space-y-6">
      <div className="space-y-3">
        <h1 className="text-3xl font-bold tracking-tight">Your platform is running</h1>
        <p className="text-slate-600">
          Supabase behind Kong, n8n for workflows, and this app, each in its own stack. Sign in to keep a todo list
          that updates live across your open windows.
        </p>
      </div>
      <div className="flex gap-3">
        <Link
          href="/login"
          data-testid="home-sign-in"
          className="rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700"
        >
          Sign in
        </Link>
        <Link
          href="/todos"
          data-testid="home-todos"
          className="rounded-md border border-slate-300 bg-white px-4 py-2 font-medium hover:bg-slate-50"
        >
          Your todos
        </Link>
      </div>
    </section>
  );
}
