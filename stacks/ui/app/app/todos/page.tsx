import { TodoList } from "@/components/todo-list";

export const metadata = { title: "Todos · AIWAH OS" };

export default function TodosPage() {
  return (
    <section className="space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Your todos</h1>
      <TodoList />
    </section>
  );
}
