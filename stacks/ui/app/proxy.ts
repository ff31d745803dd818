import type { NextRequest } from "next/server";

import { updateSession } from "@/lib/supabase/proxy";

// Next 16's name for middleware: keeps the Supabase session cookie fresh.
export async function proxy(request: NextRequest) {
  return await updateSession(request);
}

export const config = {
  // Every page, but not the health route (it must answer while Supabase is down), other API
  // routes, Next's assets, or static files.
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico|robots.txt|.*\\.(?:svg|png|jpg|jpeg|gif|webp|ico)$).*)"],
};
