// Where the browser reaches Supabase (Kong) and the only key it may hold. NEXT_PUBLIC_* values are
// compiled into the bundle at build time, so they must be referenced literally here.
export const supabaseUrl = process.env.NEXT_PUBLIC_SUPABASE_URL ?? "";
export const supabaseAnonKey = process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY ?? "";

/** Server-side code reaches Kong over the shared Docker network (http://kong:8000), read at run time. */
export function supabaseServerUrl(): string {
  return process.env.SUPABASE_INTERNAL_URL || supabaseUrl;
}

/** Whether the build was given a Supabase URL and key at all (pages still render without them). */
export const supabaseConfigured = supabaseUrl !== "" && supabaseAnonKey !== "";

// One auth cookie (and storage key) for browser and server. The default name derives from the URL's
// first host label, which differs between them (localhost vs kong): the server would not see the
// browser's session.
export const authCookieName = "sb-aiwah-auth-token";
