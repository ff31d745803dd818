import { createBrowserClient } from "@supabase/ssr";
import type { SupabaseClient } from "@supabase/supabase-js";

import { authCookieName, supabaseAnonKey, supabaseUrl } from "./config";

let client: SupabaseClient | undefined;

/** The browser's Supabase client (one per page), with the anon key only. */
export function createClient(): SupabaseClient {
  client ??= createBrowserClient(supabaseUrl, supabaseAnonKey, { cookieOptions: { name: authCookieName } });
  return client;
}
