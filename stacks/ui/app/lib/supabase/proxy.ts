import { createServerClient } from "@supabase/ssr";
import { isAuthRetryableFetchError } from "@supabase/supabase-js";
import { NextResponse, type NextRequest } from "next/server";

import type { Database } from "../database.types";
import { authCookieName, supabaseAnonKey, supabaseConfigured, supabaseServerUrl } from "./config";

/** Pages that need a signed-in user; the others render for anyone. */
const PROTECTED = ["/todos"];

/**
 * Refreshes the session cookie on every page request, as vercel/next.js examples/with-supabase does,
 * and sends signed-out visitors of protected pages to /login.
 */
export async function updateSession(request: NextRequest): Promise<NextResponse> {
  let response = NextResponse.next({ request });
  if (!supabaseConfigured) return response;

  const supabase = createServerClient<Database>(supabaseServerUrl(), supabaseAnonKey, {
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

  // Nothing between createServerClient and getClaims: it refreshes an expired session.
  const { data, error } = await supabase.auth.getClaims();
  // Supabase unreachable: serve the page; the page itself says what failed.
  if (isAuthRetryableFetchError(error)) return response;
  const signedIn = Boolean(data?.claims);

  const path = request.nextUrl.pathname;
  if (!signedIn && PROTECTED.some((p) => path === p || path.startsWith(`${p}/`))) {
    const url = request.nextUrl.clone();
    url.pathname = "/login";
    url.search = "";
    const redirect = NextResponse.redirect(url);
    response.cookies.getAll().forEach((cookie) => redirect.cookies.set(cookie));
    return redirect;
  }
  // This very object: it carries the refreshed cookies to the browser.
  return response;
}
