import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

vi.mock("@/lib/supabase/client", () => ({ createClient: () => ({}) }));

import { TodoItems } from "@/components/todo-list";
import { applyChange, type Todo } from "@/lib/todos";

afterEach(cleanup);

const todo = (id: number, title: string, at: string, done = false): Todo => ({ id, user_id: "u1", title, done, inserted_at: at });

describe("applyChange", () => {
  const list = [todo(1, "a", "2026-01-01T00:00:00Z"), todo(2, "b", "2026-01-02T00:00:00Z")];

  it("inserts in time order and once only", () => {
    const inserted = applyChange(list, { eventType: "INSERT", new: todo(3, "c", "2026-01-01T12:00:00Z") });
    expect(inserted.map((t) => t.id)).toEqual([1, 3, 2]);
    expect(applyChange(inserted, { eventType: "INSERT", new: todo(3, "c", "2026-01-01T12:00:00Z") })).toHaveLength(3);
  });

  it("replaces on update and removes on delete", () => {
    const updated = applyChange(list, { eventType: "UPDATE", new: todo(2, "b", "2026-01-02T00:00:00Z", true) });
    expect(updated.find((t) => t.id === 2)?.done).toBe(true);
    expect(applyChange(list, { eventType: "DELETE", old: { id: 1 } }).map((t) => t.id)).toEqual([2]);
  });
});

describe("TodoItems", () => {
  it("lists todos and reports toggles", () => {
    const onToggle = vi.fn();
    render(<TodoItems todos={[todo(1, "write tests", "2026-01-01T00:00:00Z")]} onToggle={onToggle} />);
    expect(screen.getAllByTestId("todo-item")).toHaveLength(1);
    expect(screen.getByText("write tests")).toBeTruthy();
    fireEvent.click(screen.getByLabelText("done: write tests"));
    expect(onToggle).toHaveBeenCalledTimes(1);
  });

  it("says so when there is nothing", () => {
    render(<TodoItems todos={[]} onToggle={() => {}} />);
    expect(screen.getByText("Nothing yet.")).toBeTruthy();
  });
});
