import { describe, expect, it } from "vitest";

import { applyChange, mergeTodos, type Todo } from "@/lib/todos";

const todo = (id: number, at: string, done = false): Todo => ({ id, user_id: "u1", title: `t${id}`, done, inserted_at: at });

describe("applyChange", () => {
  const list = [todo(1, "2026-01-01T00:00:00Z"), todo(2, "2026-01-02T00:00:00Z")];

  it("inserts in time order, and once only", () => {
    const inserted = applyChange(list, { eventType: "INSERT", new: todo(3, "2026-01-01T12:00:00Z") });
    expect(inserted.map((t) => t.id)).toEqual([1, 3, 2]);
    expect(applyChange(inserted, { eventType: "INSERT", new: todo(3, "2026-01-01T12:00:00Z") })).toHaveLength(3);
  });

  it("replaces on update and removes on delete", () => {
    const updated = applyChange(list, { eventType: "UPDATE", new: todo(2, "2026-01-02T00:00:00Z", true) });
    expect(updated.find((t) => t.id === 2)?.done).toBe(true);
    expect(applyChange(list, { eventType: "DELETE", old: { id: 1 } }).map((t) => t.id)).toEqual([2]);
  });
});

describe("mergeTodos", () => {
  it("keeps fresh rows, adds the ones only fresh has, keeps local ones it lacks", () => {
    const merged = mergeTodos([todo(1, "2026-01-01T00:00:00Z"), todo(9, "2026-01-09T00:00:00Z")], [
      todo(1, "2026-01-01T00:00:00Z", true),
      todo(2, "2026-01-02T00:00:00Z"),
    ]);
    expect(merged.map((t) => [t.id, t.done])).toEqual([
      [1, true],
      [2, false],
      [9, false],
    ]);
  });
});
