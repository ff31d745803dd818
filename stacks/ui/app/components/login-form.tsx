"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, useSyncExternalStore, type FormEvent } from "react";

import { createClient } from "@/lib/supabase/client";

type Mode = "sign-in" | "sign-up";

const noSubscription = () => () => {};

/** False in the server's HTML, true once React runs in the browser (hydrated). */
function useHydrated(): boolean {
  return useSyncExternalStore(noSubscription, () => true, () => false);
}

const inputClass =
  "w-full rounded-md border border-slate-300 bg-white px-3 py-2 outline-none focus:border-slate-500 focus:ring-2 focus:ring-slate-200";

/** Email + password: sign in, or sign up (then straight in when the server confirms at once). */
export function LoginForm() {
  const router = useRouter();
  const form = useRef<HTMLFormElement>(null);
  // data-ready="true" once hydrated: a test (or a fast user) can wait for it before submitting.
  const ready = useHydrated();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(mode: Mode) {
    if (form.current && !form.current.reportValidity()) return;
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      const { auth } = createClient();
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
        setMessage("Account created: confirm it from the email we sent, then sign in.");
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : "Supabase is not reachable.");
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void submit("sign-in");
  }

  return (
    <form
      ref={form}
      data-testid="login-form"
      data-ready={ready ? "true" : "false"}
      // Before hydration a submit must not put the password in the URL: POST, never GET.
      method="post"
      onSubmit={onSubmit}
      className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm"
    >
      <label className="block space-y-1">
        <span className="text-sm font-medium text-slate-700">Email</span>
        <input
          data-testid="email"
          name="email"
          type="email"
          required
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          className={inputClass}
        />
      </label>
      <label className="block space-y-1">
        <span className="text-sm font-medium text-slate-700">Password</span>
        <input
          data-testid="password"
          name="password"
          type="password"
          required
          minLength={6}
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className={inputClass}
        />
      </label>
      {error && (
        <p data-testid="auth-error" role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {message && (
        <p data-testid="auth-message" role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {message}
        </p>
      )}
      <div className="flex gap-3">
        <button
          data-testid="sign-in"
          type="submit"
          disabled={busy}
          className="flex-1 rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700 disabled:opacity-50"
        >
          Sign in
        </button>
        <button
          data-testid="sign-up"
          type="button"
          disabled={busy}
          onClick={() => void submit("sign-up")}
          className="flex-1 rounded-md border border-slate-300 px-4 py-2 font-medium hover:bg-slate-50 disabled:opacity-50"
        >
          Sign up
        </button>
      </div>
    </form>
  );
}
