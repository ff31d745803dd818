import { createBrowserClient } from "@supabase/ssr";

import type { Database } from "../database.types";
import { authCookieName, supabaseAnonKey, supabaseUrl } from "./config";

/** The browser's Supabase client (@supabase/ssr keeps one per page), with the anon key only. */
export function createClient() {
  return createBrowserClient<Database>(supabaseUrl, supabaseAnonKey, {
    cookieOptions: { name: authCookieName },
  });
}

export type BrowserClient = ReturnType<typeof createClient>;
