// Liveness of the UI itself: no Supabase call (and outside proxy.ts), so it answers while Supabase is down.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "ok" });
}
