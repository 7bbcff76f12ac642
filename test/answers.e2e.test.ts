/**
 * No case ends in the tool's own exception, whatever the server answers: a server on 127.0.0.1
 * that answers every request with a seeded random answer (a token response or an error with
 * members missing or of another JSON type, a JWT access token with any claims removed or
 * mistyped, any status, broken metadata and key sets) is judged with every built-in suite. Cases
 * may fail, be skipped or be errored for the server's fault; none may be errored because a check
 * or the engine threw.
 */
import { describe, expect, it } from 'vitest'
import { listen } from '../fixtures/serve.ts'
import { rng } from './_rng.ts'
import { builtinSuites, referenceTarget, runAgainst } from './_run.ts'

const CLAIMS: Record<string, unknown> = {
  iss: 'ISSUER',
  sub: 'grantcheck-primary',
  aud: 'https://api.example',
  exp: 0,
  iat: 0,
  jti: 'j',
  client_id: 'grantcheck-primary',
  scope: 'read',
  cid: 'x',
  cnf: { jkt: 'a' },
}
const VALUES: unknown[] = [null, 0, -5, 2.5, '', 'x', true, [], ['read', 2], {}, { nested: [null] }]
/** What the engine's own exceptions read as in a report. */
const TOOL_EXCEPTION = /could not finish this case|the check crashed|could not build the request|Cannot read properties|is not a function|undefined \(reading/

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** A copy of `base` with each member kept, dropped, or replaced by a value of another type. */
function mutate(random: () => number, base: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(base)) {
    const r = random()
    if (r < 0.55) out[k] = v
    else if (r < 0.8) out[k] = VALUES[Math.floor(random() * VALUES.length)]
  }
  return out
}

function answering(seed: number) {
  const random = rng(seed)
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
  return (request: Request): Response => {
    const url = new URL(request.url)
    const issuer = url.origin
    const now = Math.floor(Date.now() / 1000)
    if (url.pathname.startsWith('/.well-known/')) {
      const md = mutate(random, {
        issuer,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        introspection_endpoint: `${issuer}/introspect`,
        revocation_endpoint: `${issuer}/revoke`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        mtls_endpoint_aliases: { token_endpoint: `${issuer}/token` },
      })
      return Response.json(md, { status: pick([200, 200, 404]) })
    }
    if (url.pathname === '/jwks') return Response.json(pick([{ keys: [mutate(random, { kty: 'RSA', kid: 'k', n: 'AQAB', e: 'AQAB' })] }, { keys: 'x' }, []]))
    const claims = mutate(random, { ...CLAIMS, iss: issuer, exp: now + 3600, iat: now })
    const jwt = `${b64url(mutate(random, { alg: 'RS256', typ: 'at+jwt', kid: 'k' }))}.${b64url(claims)}.c2ln`
    const token = () => ({ access_token: pick([jwt, jwt, 'opaque-token-value-0123456789abcdef']), token_type: 'Bearer', expires_in: 3600, scope: 'read', refresh_token: 'r' })
    const error = () => ({ error: 'invalid_request', error_description: 'no', error_uri: 'https://e.example/x' })
    const introspection = () => ({ active: true, client_id: 'grantcheck-primary', scope: 'read', token_type: 'Bearer', cnf: { 'x5t#S256': 'x' } })
    // Mostly the answer the endpoint would give, with its members mangled; sometimes anything.
    const usual = { '/token': token, '/introspect': introspection }[url.pathname] ?? error
    const r = random()
    const body = r < 0.6 ? mutate(random, usual()) : r < 0.9 ? mutate(random, pick([token, error, introspection])()) : pick(VALUES)
    const headers: Record<string, string> = { 'content-type': pick(['application/json', 'application/json', 'text/plain', 'application/json; charset=utf-8']) }
    if (random() < 0.5) headers['cache-control'] = pick(['no-store', 'private', ''])
    if (random() < 0.3) headers['www-authenticate'] = pick(['Basic realm="x"', 'Bearer', '"'])
    const status = r < 0.6 && usual !== error ? 200 : pick([200, 400, 401, 403, 500])
    return new Response(JSON.stringify(body), { status, headers })
  }
}

/** Every built-in suite, or (to see many tokens) only those that judge the token response. */
const suites = (which: 'all' | 'token') => builtinSuites().filter((s) => which === 'all' || ['jwt-access-token', 'token-response'].includes(s.suite.id))

describe("answers of any shape end in verdicts, never in the tool's own exception", () => {
  it.each([...[11, 12, 13].map((seed) => ({ seed, which: 'all' as const })), ...Array.from({ length: 30 }, (_, i) => ({ seed: 100 + i, which: 'token' as const }))])(
    'seed $seed: $which suites against a server of random answers',
    async ({ seed, which }) => {
      const server = await listen(answering(seed))
      try {
        // Endpoints named, so that broken metadata leaves the token endpoint to judge.
        const u = server.url
        const report = await runAgainst(
          { ...referenceTarget(u), tokenEndpoint: `${u}/token`, jwksUri: `${u}/jwks`, introspectionEndpoint: `${u}/introspect`, revocationEndpoint: `${u}/revoke` },
          suites(which),
        )
        const cases = report.targets[0]!.cases
        // The answers were judged, not refused at the door.
        if (which === 'all') expect(cases.filter((c) => c.outcome === 'failed').length).toBeGreaterThan(10)
        const thrown = cases.flatMap((c) => [
          ...(c.outcome === 'errored' && TOOL_EXCEPTION.test(c.reason ?? '') ? [`${c.suite}/${c.id}: ${c.reason}`] : []),
          ...c.checks.filter((k) => k.outcome === 'errored' && TOOL_EXCEPTION.test(k.message)).map((k) => `${c.suite}/${c.id} ${k.check}: ${k.message}`),
        ])
        expect(thrown).toEqual([])
      } finally {
        await server.close()
      }
    },
    60_000,
  )
})
