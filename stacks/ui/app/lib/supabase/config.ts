// Where the browser reaches Supabase (Kong) and the only key it may hold. NEXT_PUBLIC_* values are
// compiled into the bundle at build time, so they must be referenced literally here.
export const supabaseUrl = process.env.NEXT_PUBLIC_SUPABASE_URL ?? "";
export const supabaseAnonKey = process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY ?? "";

// Server-side code reaches Kong over the shared Docker network under another host name.
export const supabaseServerUrl = process.env.SUPABASE_INTERNAL_URL || supabaseUrl;

// One auth cookie for browser and server: the default name derives from the URL's host, which differs
// between the two (localhost vs kong), and the server would not see the browser's session.
export const authCookieName = "sb-aiwah-auth-token";
