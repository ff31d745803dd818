// AIWAH: the Edge Functions main service (edge-runtime `--main-service /home/deno/functions/main`).
// Every request reaches this router first. With VERIFY_JWT=true it checks the bearer token (HS256 with
// JWT_SECRET; ES256/RS256 with the keys in SUPABASE_JWKS) and answers 401 with an error code otherwise;
// OPTIONS (CORS preflight) is never checked. The first path segment names the function: the request is
// handed to a user worker running /home/deno/functions/<name>.
//
// Answers of its own: 401 {code, message, msg} with header sb-error-code = code; 400 {msg} when the path
// names no function; 500 {msg} when the worker cannot be started or fails.
import * as jose from 'jsr:@panva/jose@6'

const FUNCTIONS_DIR = '/home/deno/functions'
const WORKER_MEMORY_LIMIT_MB = 150
const WORKER_TIMEOUT_MS = 60_000

const verifyJwt = Deno.env.get('VERIFY_JWT') === 'true'
const hsSecret = Deno.env.get('JWT_SECRET')
const publicKeys = readKeySet(Deno.env.get('SUPABASE_JWKS'))

/** Why a request was refused: the code clients read, and the sentence shown to people. */
interface Refusal {
  code: string
  message: string
}

const noAuthHeader: Refusal = { code: 'UNAUTHORIZED_NO_AUTH_HEADER', message: 'Missing authorization header' }
const malformedToken: Refusal = { code: 'UNAUTHORIZED_INVALID_JWT_FORMAT', message: 'Invalid JWT format' }
const badHsToken: Refusal = { code: 'UNAUTHORIZED_LEGACY_JWT', message: 'Invalid JWT' }
const badAsymmetricToken: Refusal = { code: 'UNAUTHORIZED_ASYMMETRIC_JWT', message: 'Invalid JWT' }
const unsupportedAlgorithm = (alg: string | undefined): Refusal => ({
  code: 'UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM',
  message: `Unsupported JWT algorithm ${alg}`,
})

/** SUPABASE_JWKS as a key set jose can search, or null when unset or not `{"keys": [...]}`. */
export function readKeySet(text: string | undefined): ReturnType<typeof jose.createLocalJWKSet> | null {
  if (!text) return null
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  const keys = (value as { keys?: unknown } | null)?.keys
  return Array.isArray(keys) ? jose.createLocalJWKSet(value as jose.JSONWebKeySet) : null
}

function json(status: number, body: unknown, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...extraHeaders } })
}

function refuse(refusal: Refusal): Response {
  return json(401, { code: refusal.code, message: refusal.message, msg: refusal.message }, { 'sb-error-code': refusal.code })
}

/** The token of `Authorization: Bearer <token>` (exactly two space-separated parts), or why not. */
function bearerToken(req: Request): string | Refusal {
  const header = req.headers.get('authorization')
  if (!header) return noAuthHeader
  const parts = header.split(' ')
  return parts.length === 2 && parts[0] === 'Bearer' && parts[1] ? parts[1] : malformedToken
}

/** null when the token's signature (and exp/nbf, as jose checks them) holds, else the refusal. */
async function checkToken(token: string): Promise<Refusal | null> {
  let alg: string | undefined
  try {
    alg = jose.decodeProtectedHeader(token).alg
  } catch (e) {
    console.error('token header unreadable', e)
    return malformedToken
  }
  try {
    if (alg === 'HS256') {
      if (!hsSecret) throw new Error('JWT_SECRET is not set')
      await jose.jwtVerify(token, new TextEncoder().encode(hsSecret))
      return null
    }
    if (alg === 'ES256' || alg === 'RS256') {
      if (!publicKeys) throw new Error('SUPABASE_JWKS is not set or holds no keys')
      await jose.jwtVerify(token, publicKeys)
      return null
    }
  } catch (e) {
    console.error(`${alg} token refused`, e)
    return alg === 'HS256' ? badHsToken : badAsymmetricToken
  }
  return unsupportedAlgorithm(alg)
}

async function authorize(req: Request): Promise<Response | null> {
  if (!verifyJwt || req.method === 'OPTIONS') return null
  try {
    const token = bearerToken(req)
    if (typeof token !== 'string') return refuse(token)
    const refusal = await checkToken(token)
    return refusal ? refuse(refusal) : null
  } catch (e) {
    console.error(e)
    return refuse(malformedToken)
  }
}

Deno.serve(async (req: Request) => {
  const refused = await authorize(req)
  if (refused) return refused

  const name = new URL(req.url).pathname.split('/')[1]
  if (!name) return json(400, { msg: 'missing function name in request' })

  const servicePath = `${FUNCTIONS_DIR}/${name}`
  console.error(`serving the request with ${servicePath}`)
  try {
    const worker = await EdgeRuntime.userWorkers.create({
      servicePath,
      memoryLimitMb: WORKER_MEMORY_LIMIT_MB,
      workerTimeoutMs: WORKER_TIMEOUT_MS,
      noModuleCache: false,
      importMapPath: null,
      // The function sees the same environment as this router (SUPABASE_URL, keys, ...).
      envVars: Object.entries(Deno.env.toObject()),
    })
    return await worker.fetch(req)
  } catch (e) {
    return json(500, { msg: String(e) })
  }
})
