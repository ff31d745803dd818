import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Todo } from "@/lib/todos";

// The module boundary: a fake Supabase browser client with just what TodoList uses
// (from(...) queries and a Realtime channel whose callbacks the test drives).
type Listener = (payload: unknown) => void;
const realtime = vi.hoisted(() => ({
  listener: undefined as ((payload: unknown) => void) | undefined,
  onStatus: undefined as ((status: string) => void) | undefined,
}));
const db = vi.hoisted(() => ({
  select: vi.fn(),
  insert: vi.fn(),
  update: vi.fn(),
  removeChannel: vi.fn(),
  channel: vi.fn(),
  on: vi.fn(),
}));

vi.mock("@/lib/supabase/client", () => {
  const channel = {
    on: (...args: unknown[]) => {
      db.on(...args);
      realtime.listener = args[2] as Listener;
      return channel;
    },
    subscribe: (cb: (status: string) => void) => {
      realtime.onStatus = cb;
      return channel;
    },
  };
  const client = {
    channel: (name: string) => {
      db.channel(name);
      return channel;
    },
    removeChannel: db.removeChannel,
    from: () => ({
      select: () => ({ order: () => db.select() }),
      insert: (values: unknown) => ({ select: () => ({ single: () => db.insert(values) }) }),
      update: (values: unknown) => ({ eq: (column: string, id: unknown) => db.update(values, column, id) }),
    }),
  };
  return { createClient: () => client };
});

import { TodoList } from "@/components/todo-list";

const todo = (id: number, title: string, done = false): Todo => ({
  id,
  user_id: "user-1",
  title,
  done,
  inserted_at: `2026-01-01T00:00:0${id}Z`,
});

const titles = () => screen.queryAllByTestId("todo-item").map((li) => li.textContent);

function renderList(initial: Todo[]) {
  return render(<TodoList userId="user-1" initialTodos={initial} />);
}

/** Realtime delivers a change made elsewhere (another window, n8n, SQL). */
function change(payload: unknown) {
  act(() => realtime.listener?.(payload));
}

describe("TodoList", () => {
  it("renders the server's todos and subscribes to this user's rows only", () => {
    renderList([todo(1, "buy milk"), todo(2, "write tests", true)]);
    expect(titles()).toEqual(["buy milk", "write tests"]);
    const items = screen.getAllByTestId("todo-item");
    expect(within(items[0]).getByRole("checkbox")).not.toBeChecked();
    expect(within(items[1]).getByRole("checkbox")).toBeChecked();
    expect(db.channel).toHaveBeenCalledWith("todos:user-1");
    expect(db.on).toHaveBeenCalledWith(
      "postgres_changes",
      { event: "*", schema: "public", table: "todos", filter: "user_id=eq.user-1" },
      expect.any(Function),
    );
  });

  it("shows an empty list", () => {
    renderList([]);
    expect(screen.getByTestId("todo-list")).toBeEmptyDOMElement();
    expect(screen.getByTestId("todo-empty")).toBeInTheDocument();
  });

  it("applies inserts, updates and deletes from Realtime without a reload", () => {
    renderList([todo(1, "buy milk")]);
    change({ eventType: "INSERT", new: todo(2, "from elsewhere") });
    expect(titles()).toEqual(["buy milk", "from elsewhere"]);
    change({ eventType: "UPDATE", new: todo(1, "buy milk", true) });
    expect(screen.getAllByRole("checkbox")[0]).toBeChecked();
    change({ eventType: "DELETE", old: { id: 1 } });
    expect(titles()).toEqual(["from elsewhere"]);
  });

  it("reads once more when subscribed, so rows written before the subscription are not lost", async () => {
    db.select.mockResolvedValue({ data: [todo(1, "buy milk"), todo(3, "written meanwhile")], error: null });
    renderList([todo(1, "buy milk")]);
    expect(screen.getByTestId("todos")).toHaveAttribute("data-live", "false");
    act(() => realtime.onStatus?.("SUBSCRIBED"));
    await waitFor(() => expect(titles()).toEqual(["buy milk", "written meanwhile"]));
    expect(screen.getByTestId("todos")).toHaveAttribute("data-live", "true");
  });

  it("adds a todo once, even when Realtime echoes the insert", async () => {
    db.insert.mockResolvedValue({ data: todo(4, "ship it"), error: null });
    renderList([]);
    const user = userEvent.setup();
    await user.type(screen.getByTestId("new-todo"), "  ship it ");
    await user.click(screen.getByTestId("add-todo"));
    expect(db.insert).toHaveBeenCalledWith({ title: "ship it" });
    await waitFor(() => expect(titles()).toEqual(["ship it"]));
    expect(screen.getByTestId("new-todo")).toHaveValue("");
    change({ eventType: "INSERT", new: todo(4, "ship it") });
    expect(titles()).toEqual(["ship it"]);
  });

  it("toggles done, and puts it back with the error when the update is refused", async () => {
    db.update.mockResolvedValueOnce({ error: null }).mockResolvedValueOnce({ error: { message: "permission denied" } });
    renderList([todo(1, "buy milk")]);
    const user = userEvent.setup();
    await user.click(screen.getByRole("checkbox"));
    expect(db.update).toHaveBeenCalledWith({ done: true }, "id", 1);
    expect(screen.getByRole("checkbox")).toBeChecked();
    await user.click(screen.getByRole("checkbox"));
    expect(await screen.findByTestId("todo-error")).toHaveTextContent("permission denied");
    expect(screen.getByRole("checkbox")).toBeChecked();
  });

  it("leaves the channel when it goes away", () => {
    const { unmount } = renderList([]);
    unmount();
    expect(db.removeChannel).toHaveBeenCalledTimes(1);
  });
});
