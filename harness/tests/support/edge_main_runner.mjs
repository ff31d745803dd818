// Runs stacks/supabase/volumes/functions/main/index.ts outside edge-runtime, under Node 24 (which strips
// TypeScript types) in the offline n8n image, whose node_modules hold jose 6 — the library the router
// imports as jsr:@panva/jose@6. `Deno` and `EdgeRuntime` are stand-ins recording what the router asks of
// them. Reads requests (JSON lines on stdin: {method, path, auth}), prints `ANSWER <json>` per answer
// (the router may log to stdout too).
//
//   node edge_main_runner.mjs /path/to/index.ts      env: VERIFY_JWT, JWT_SECRET, WITH_JWKS=1
import { register } from 'node:module'
import { readFileSync } from 'node:fs'

const JOSE = 'file:///usr/local/lib/n8n/node_modules/jose/dist/webapi/index.js'
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(s, c, next) {
      return s === 'jsr:@panva/jose@6' ? { url: ${JSON.stringify(JOSE)}, shortCircuit: true } : next(s, c) }`),
)
const jose = await import(JOSE)

// An ES256 key pair: its public half is SUPABASE_JWKS when WITH_JWKS=1; tokens "$ES256" are signed with it.
const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true })
const es256 = await new jose.SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setExpirationTime('1h').sign(privateKey)
if (process.env.WITH_JWKS === '1') {
  process.env.SUPABASE_JWKS = JSON.stringify({ keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] })
}

let handler
const workers = []
globalThis.Deno = {
  env: { get: (k) => process.env[k], toObject: () => ({ ...process.env }) },
  serve: (h) => {
    handler = h
  },
}
globalThis.EdgeRuntime = {
  userWorkers: {
    create: async (options) => {
      workers.push(options)
      if (options.servicePath.endsWith('/broken')) throw new Error('worker boot failed')
      return { fetch: async (req) => new Response(JSON.stringify({ worker: options.servicePath, method: req.method }), { status: 200 }) }
    },
  },
}
await import(process.argv[2])

for (const line of readFileSync(0, 'utf8').split('\n').filter(Boolean)) {
  const { method, path, auth } = JSON.parse(line)
  const headers = auth == null ? {} : { authorization: auth.replace('$ES256', es256) }
  workers.length = 0
  const res = await handler(new Request(`http://functions:9000${path}`, { method, headers }))
  const w = workers[0]
  console.log(
    'ANSWER ' +
    JSON.stringify({
      status: res.status,
      errorCode: res.headers.get('sb-error-code'),
      contentType: res.headers.get('content-type'),
      body: await res.json(),
      worker: w && {
        servicePath: w.servicePath,
        memoryLimitMb: w.memoryLimitMb,
        workerTimeoutMs: w.workerTimeoutMs,
        noModuleCache: w.noModuleCache,
        importMapPath: w.importMapPath,
        passesEnv: w.envVars.some(([k, v]) => k === 'JWT_SECRET' && v === process.env.JWT_SECRET),
      },
    }),
  )
}
