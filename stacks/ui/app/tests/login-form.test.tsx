import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

const signInWithPassword = vi.fn();
const signUp = vi.fn();
const push = vi.fn();

vi.mock("@/lib/supabase/client", () => ({ createClient: () => ({ auth: { signInWithPassword, signUp } }) }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ push, refresh: vi.fn() }) }));

import { LoginForm } from "@/components/login-form";

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

function fill(email: string, password: string) {
  fireEvent.change(screen.getByTestId("email"), { target: { value: email } });
  fireEvent.change(screen.getByTestId("password"), { target: { value: password } });
}

describe("LoginForm", () => {
  it("renders the fields and both actions", () => {
    render(<LoginForm />);
    expect(screen.getByTestId("login-form")).toBeTruthy();
    expect(screen.getByTestId("email").getAttribute("type")).toBe("email");
    expect(screen.getByTestId("password").getAttribute("type")).toBe("password");
    expect(screen.getByTestId("sign-in").textContent).toBe("Sign in");
    expect(screen.getByTestId("sign-up").textContent).toBe("Sign up");
  });

  it("shows Supabase's error when signing in fails", async () => {
    signInWithPassword.mockResolvedValue({ data: { session: null }, error: { message: "Invalid login credentials" } });
    render(<LoginForm />);
    fill("a@example.com", "wrong-password");
    fireEvent.submit(screen.getByTestId("login-form"));
    await waitFor(() => expect(screen.getByTestId("auth-error").textContent).toBe("Invalid login credentials"));
    expect(signInWithPassword).toHaveBeenCalledWith({ email: "a@example.com", password: "wrong-password" });
    expect(push).not.toHaveBeenCalled();
  });

  it("goes to the todos after signing up with a session", async () => {
    signUp.mockResolvedValue({ data: { session: { access_token: "t" } }, error: null });
    render(<LoginForm />);
    fill("b@example.com", "Secret123");
    fireEvent.click(screen.getByTestId("sign-up"));
    await waitFor(() => expect(push).toHaveBeenCalledWith("/todos"));
  });
});
