"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { createClient } from "@/lib/supabase/client";

type Mode = "sign-in" | "sign-up";

export function LoginForm() {
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(mode: Mode) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const auth = createClient().auth;
      const { data, error } =
        mode === "sign-in"
          ? await auth.signInWithPassword({ email, password })
          : await auth.signUp({ email, password });
      if (error) {
        setError(error.message);
      } else if (data.session) {
        router.push("/todos");
        router.refresh();
      } else {
        setNotice("Check your email to confirm your account.");
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : "Supabase is not reachable");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      data-testid="login-form"
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        void submit("sign-in");
      }}
    >
      <label className="block space-y-1">
        <span className="text-sm font-medium">Email</span>
        <input
          data-testid="email"
          type="email"
          required
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          className="w-full rounded-md border border-slate-300 px-3 py-2 outline-none focus:border-slate-500"
        />
      </label>
      <label className="block space-y-1">
        <span className="text-sm font-medium">Password</span>
        <input
          data-testid="password"
          type="password"
          required
          minLength={6}
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className="w-full rounded-md border border-slate-300 px-3 py-2 outline-none focus:border-slate-500"
        />
      </label>
      {error && (
        <p data-testid="auth-error" role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      {notice && <p className="text-sm text-emerald-700">{notice}</p>}
      <div className="flex gap-3">
        <button
          data-testid="sign-in"
          type="submit"
          disabled={busy}
          className="flex-1 rounded-md bg-slate-900 px-4 py-2 text-white hover:bg-slate-700 disabled:opacity-50"
        >
          Sign in
        </button>
        <button
          data-testid="sign-up"
          type="button"
          disabled={busy}
          onClick={() => void submit("sign-up")}
          className="flex-1 rounded-md border border-slate-300 px-4 py-2 hover:bg-slate-50 disabled:opacity-50"
        >
          Sign up
        </button>
      </div>
    </form>
  );
}
