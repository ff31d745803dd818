import { LoginForm } from "@/components/login-form";

export const metadata = { title: "Sign in · AIWAH OS" };

export default function LoginPage() {
  return (
    <section className="mx-auto max-w-sm space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Sign in</h1>
      <LoginForm />
    </section>
  );
}
