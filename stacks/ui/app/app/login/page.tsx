import type { Metadata } from "next";

import { LoginForm } from "@/components/login-form";

export const metadata: Metadata = { title: "Sign in · AIWAH OS" };

export default function LoginPage() {
  return (
    <section className="mx-auto max-w-sm space-y-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-bold tracking-tight">Sign in</h1>
        <p className="text-sm text-slate-600">New here? Enter an email and a password, then choose Sign up.</p>
      </div>
      <LoginForm />
    </section>
  );
}
