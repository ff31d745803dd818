import Link from "next/link";

export default function Home() {
  return (
    <section className="space-y-4">
      <h1 className="text-3xl font-bold tracking-tight">Your platform is running</h1>
      <p className="text-slate-600">
        Supabase behind Kong, n8n for workflows, and this app — each in its own stack.
      </p>
      <div className="flex gap-3">
        <Link href="/login" className="rounded-md bg-slate-900 px-4 py-2 text-white hover:bg-slate-700">
          Sign in
        </Link>
        <Link href="/todos" className="rounded-md border border-slate-300 px-4 py-2 hover:bg-white">
          Your todos
        </Link>
      </div>
    </section>
  );
}
