import { createServerClient } from "@supabase/ssr";
import { cookies } from "next/headers";

import type { Database } from "../database.types";
import { authCookieName, supabaseAnonKey, supabaseServerUrl } from "./config";

/** A per-request Supabase client for server code, reading the session from the auth cookie. */
export async function createClient() {
  const cookieStore = await cookies();
  return createServerClient<Database>(supabaseServerUrl(), supabaseAnonKey, {
    cookieOptions: { name: authCookieName },
    cookies: {
      getAll: () => cookieStore.getAll(),
      setAll(toSet) {
        try {
          toSet.forEach(({ name, value, options }) => cookieStore.set(name, value, options));
        } catch {
          // Server Components cannot set cookies; proxy.ts refreshes the session instead.
        }
      },
    },
  });
}
