import { createServerClient } from "@supabase/ssr";
import { NextResponse, type NextRequest } from "next/server";

import { authCookieName, supabaseAnonKey, supabaseServerUrl } from "@/lib/supabase/config";

// Refreshes the Supabase session cookie on the pages that use it (Next 16's name for middleware).
export async function proxy(request: NextRequest) {
  let response = NextResponse.next({ request });
  const supabase = createServerClient(supabaseServerUrl, supabaseAnonKey, {
    cookieOptions: { name: authCookieName },
    cookies: {
      getAll: () => request.cookies.getAll(),
      setAll(toSet) {
        toSet.forEach(({ name, value }) => request.cookies.set(name, value));
        response = NextResponse.next({ request });
        toSet.forEach(({ name, value, options }) => response.cookies.set(name, value, options));
      },
    },
  });
  try {
    await supabase.auth.getClaims();
  } catch {
    // Supabase unreachable: serve the page; the client shows the error where it matters.
  }
  return response;
}

export const config = { matcher: ["/todos/:path*"] };
