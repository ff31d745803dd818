import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

// The module boundary: the Supabase client. (next/navigation too: no App Router is mounted here.)
const auth = { signInWithPassword: vi.fn(), signUp: vi.fn() };
vi.mock("@/lib/supabase/client", () => ({ createClient: () => ({ auth }) }));
const router = { push: vi.fn(), refresh: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

import { LoginForm } from "@/components/login-form";

async function fillIn(email: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByTestId("email"), email);
  await user.type(screen.getByTestId("password"), password);
  return user;
}

describe("LoginForm", () => {
  it("renders the form with its test hooks and no error", () => {
    render(<LoginForm />);
    expect(screen.getByTestId("login-form")).toHaveAttribute("method", "post");
    expect(screen.getByTestId("login-form")).toHaveAttribute("data-ready", "true");
    expect(screen.getByTestId("email")).toHaveAttribute("type", "email");
    expect(screen.getByTestId("password")).toHaveAttribute("type", "password");
    expect(screen.getByTestId("sign-in")).toHaveTextContent("Sign in");
    expect(screen.getByTestId("sign-up")).toHaveTextContent("Sign up");
    expect(screen.queryByTestId("auth-error")).not.toBeInTheDocument();
  });

  it("signs in and goes to the todos", async () => {
    auth.signInWithPassword.mockResolvedValue({ data: { session: { access_token: "t" } }, error: null });
    render(<LoginForm />);
    const user = await fillIn("ada@example.com", "correct-horse");
    await user.click(screen.getByTestId("sign-in"));
    expect(auth.signInWithPassword).toHaveBeenCalledWith({ email: "ada@example.com", password: "correct-horse" });
    await waitFor(() => expect(router.push).toHaveBeenCalledWith("/todos"));
    expect(auth.signUp).not.toHaveBeenCalled();
  });

  it("shows Supabase's error when signing in fails, and stays", async () => {
    auth.signInWithPassword.mockResolvedValue({ data: { session: null }, error: { message: "Invalid login credentials" } });
    render(<LoginForm />);
    const user = await fillIn("ada@example.com", "wrong-password");
    await user.click(screen.getByTestId("sign-in"));
    expect(await screen.findByTestId("auth-error")).toHaveTextContent("Invalid login credentials");
    expect(router.push).not.toHaveBeenCalled();
  });

  it("signs up; without a session it asks to confirm the email", async () => {
    auth.signUp.mockResolvedValue({ data: { session: null, user: { id: "u1" } }, error: null });
    render(<LoginForm />);
    const user = await fillIn("new@example.com", "Secret123");
    await user.click(screen.getByTestId("sign-up"));
    expect(auth.signUp).toHaveBeenCalledWith({ email: "new@example.com", password: "Secret123" });
    expect(await screen.findByTestId("auth-message")).toHaveTextContent(/confirm/i);
    expect(router.push).not.toHaveBeenCalled();
  });

  it("does not call Supabase for an invalid form", async () => {
    render(<LoginForm />);
    const user = await fillIn("not-an-email", "123");
    await user.click(screen.getByTestId("sign-up"));
    expect(auth.signUp).not.toHaveBeenCalled();
  });

  it("reports an unreachable Supabase", async () => {
    auth.signInWithPassword.mockRejectedValue(new TypeError("fetch failed"));
    render(<LoginForm />);
    const user = await fillIn("ada@example.com", "correct-horse");
    await user.click(screen.getByTestId("sign-in"));
    expect(await screen.findByTestId("auth-error")).toHaveTextContent("fetch failed");
  });
});
