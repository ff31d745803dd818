import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";

import "./globals.css";

export const metadata: Metadata = {
  title: "AIWAH OS",
  description: "Self-hosted Supabase + n8n platform",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <header className="border-b border-slate-200 bg-white">
          <nav className="mx-auto flex max-w-2xl items-center justify-between px-4 py-3">
            <Link href="/" className="font-semibold tracking-tight">
              AIWAH OS
            </Link>
            <div className="flex gap-4 text-sm text-slate-600">
              <Link href="/todos" className="hover:text-slate-900">
                Todos
              </Link>
              <Link href="/login" className="hover:text-slate-900">
                Sign in
              </Link>
            </div>
          </nav>
        </header>
        <main className="mx-auto max-w-2xl px-4 py-10">{children}</main>
      </body>
    </html>
  );
}
