// The smallest Edge Function: the platform's smoke check (features/functions.feature) calls it through
// Kong at /functions/v1/hello and expects this JSON string back, as Supabase's self-hosted checks do.
const greeting = JSON.stringify("Hello from Edge Functions!");

Deno.serve((_request: Request): Response =>
  new Response(greeting, { status: 200, headers: { "Content-Type": "application/json" } })
);
