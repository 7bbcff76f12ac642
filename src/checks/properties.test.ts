/**
 * No check throws on any answer: every check and assertion the built-in suites judge with, run on
 * seeded random answers (JWT access tokens with any subset of claims removed or of another JSON
 * type, token, error, introspection and metadata bodies with members missing or mistyped, any
 * status and headers), returns a verdict whose texts are strings. A throw here would end a case
 * as `errored` with the tool's own exception, which is a bug, never a verdict on the server.
 */
import { describe, expect, it } from 'vitest'
import { allChecks, type PlannedCheck } from '../core/plan.ts'
import { rng } from '../../test/_rng.ts'
import { builtinSuites } from '../../test/_run.ts'
import { evaluateAssertion, evaluateSameAs } from './assert.ts'
import type { CheckInput, Verdict } from './types.ts'

const NOW = 1_800_000_000
const ISSUER = 'https://as.example'

/** JSON values of every type, the undefined of a member left out among them. */
const ANY_VALUES: unknown[] = [undefined, null, 0, -1, 1.5, 3600, '', 'x', 'Bearer', 'read write', true, false, [], ['a', 1], {}, { a: { b: null } }, 'https://as.example']

const FULL_CLAIMS = {
  iss: ISSUER,
  sub: 'client-1',
  aud: 'https://api.example',
  exp: NOW + 3600,
  iat: NOW,
  nbf: NOW,
  jti: 'j1',
  client_id: 'client-1',
  scope: 'read write',
  scp: ['read'],
  cid: 'client-1',
  azp: 'client-1',
  roles: ['read'],
  cnf: { jkt: 'abc', 'x5t#S256': 'def' },
}
const FULL_HEADER = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' }
const TOKEN_BODY = { access_token: 'eyJ.x.y', token_type: 'Bearer', expires_in: 3600, scope: 'read', refresh_token: 'r' }
const ERROR_BODY = { error: 'invalid_client', error_description: 'bad', error_uri: 'https://as.example/e' }
const INTROSPECTION_BODY = { active: true, client_id: 'client-1', scope: 'read', token_type: 'Bearer', exp: NOW + 60, cnf: { 'x5t#S256': 'def' } }
const METADATA = {
  issuer: ISSUER,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  grant_types_supported: ['client_credentials'],
  response_types_supported: ['token'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
  token_endpoint_auth_signing_alg_values_supported: ['RS256'],
  introspection_endpoint: `${ISSUER}/introspect`,
  mtls_endpoint_aliases: { token_endpoint: `${ISSUER}/mtls/token` },
  tls_client_certificate_bound_access_tokens: true,
}
const HEADER_VALUES: Record<string, Array<string | undefined>> = {
  'content-type': [undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', ''],
  'cache-control': [undefined, 'no-store', 'no-cache, no-store', '', ','],
  pragma: [undefined, 'no-cache', ''],
  'www-authenticate': [undefined, 'Basic realm="x"', 'Bearer', 'Newauth realm="a, b", Basic', '"', ''],
}

/** An object with each member kept, left out or replaced by a value of any JSON type. */
function mutate(random: () => number, base: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(base)) {
    const r = random()
    if (r < 0.5) out[k] = v
    else if (r < 0.75) continue
    else out[k] = ANY_VALUES[Math.floor(random() * ANY_VALUES.length)]
  }
  return out
}

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!

/** A random answer, and the request and target it is judged with. */
function randomInput(random: () => number): CheckInput {
  const bodies = [TOKEN_BODY, ERROR_BODY, INTROSPECTION_BODY, { ...TOKEN_BODY, ...ERROR_BODY }]
  const body = random() < 0.1 ? pick(random, ANY_VALUES) : mutate(random, pick(random, bodies))
  const text = body === undefined ? '' : JSON.stringify(body)
  const headers = new Headers()
  for (const [name, values] of Object.entries(HEADER_VALUES)) {
    const v = pick(random, values)
    if (v !== undefined) headers.set(name, v)
  }
  const jwt = random() < 0.8 ? { header: mutate(random, FULL_HEADER), claims: mutate(random, FULL_CLAIMS) } : undefined
  const jwksChoices: CheckInput['jwks'][] = [undefined, { error: 'unreadable' }, { notFetched: 'elsewhere' }, { keys: [] }, { keys: [mutate(random, { kid: 'k1', kty: 'RSA', n: 'AQAB', e: 'AQAB' })] }]
  return {
    response: { status: pick(random, [200, 201, 400, 401, 403, 500]), headers, text, truncated: false, json: body },
    request: {
      method: 'POST',
      url: pick(random, [`${ISSUER}/token`, 'http://as.example/token#f', `${ISSUER}/token?tenant=a`]),
      authMethod: pick(random, ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', 'multiple']),
      usedBasic: random() < 0.5,
      dpopJkt: random() < 0.3 ? 'abc' : undefined,
      certificateThumbprint: pick(random, [undefined, 'def', 'unknown']),
      requestedScope: pick(random, [undefined, '', 'read', 'read write']),
      clientId: 'client-1',
    },
    step: pick(random, ['token', 'replay', 'introspect', 'revoke', 'inspect'] as const),
    target: {
      issuer: random() < 0.9 ? ISSUER : undefined,
      profile: pick(random, ['rfc6749', 'oauth21']),
      clientAuthProfile: pick(random, ['oidc', 'rfc7523', 'rfc7523bis', 'fapi2'] as const),
      scopes: { valid: ['read'], restricted: 'admin', unknown: 'nope' },
      resource: random() < 0.5 ? 'https://api.example' : undefined,
      audience: random() < 0.5 ? 'https://api.example' : undefined,
      allowedOrigins: [ISSUER],
      tokenEndpoint: random() < 0.5 ? `${ISSUER}/token` : undefined,
    },
    metadata: random() < 0.2 ? undefined : mutate(random, METADATA),
    discovery: random() < 0.5 ? undefined : [{ url: `${ISSUER}/.well-known/oauth-authorization-server`, status: 200, issuer: pick(random, ANY_VALUES) }],
    token: random() < 0.2 ? undefined : { value: pick(random, ['eyJ.x.y', 'opaque', '']), jwt, scope: pick(random, [undefined, '', 'read']) },
    jwks: pick(random, jwksChoices),
    nowSec: NOW,
  }
}

/** Every expectation of the built-in suites, once per id and arguments. */
function plannedChecks(): PlannedCheck[] {
  const seen = new Map<string, PlannedCheck>()
  for (const s of builtinSuites()) for (const c of s.cases) for (const p of allChecks(c)) seen.set(`${p.id} ${JSON.stringify(p.args ?? p.assertion)}`, p)
  return [...seen.values()]
}

async function judge(p: PlannedCheck, input: CheckInput, earlier: CheckInput): Promise<Verdict> {
  if (p.def) return p.def.run(input, p.args)
  const a = p.assertion!
  if (a.operator === 'sameAs') return evaluateSameAs(a, 1, earlier, input)
  return evaluateAssertion({ ...a, operand: a.operand } as Parameters<typeof evaluateAssertion>[0], input)
}

describe('no check throws on any answer', () => {
  const checks = plannedChecks()

  it('covers every check and assertion of the built-in suites', () => {
    expect(checks.length).toBeGreaterThan(60)
  })

  it.each([1, 2, 3, 4])('seed %i: 150 random answers, every check a verdict of strings', async (seed) => {
    const random = rng(seed)
    const crashes: string[] = []
    for (let i = 0; i < 150; i++) {
      const input = randomInput(random)
      const earlier = randomInput(random)
      for (const p of checks) {
        try {
          const v = await judge(p, input, earlier)
          const bad = (['expected', 'actual', 'message'] as const).filter((f) => typeof v[f] !== 'string')
          if (bad.length || ![true, false, 'n/a'].includes(v.holds)) crashes.push(`${p.id} (answer ${i}): ${bad.join(', ')} not text, holds ${String(v.holds)}`)
        } catch (e) {
          crashes.push(`${p.id} (answer ${i}): threw ${e instanceof Error ? e.message : String(e)}`)
        }
      }
    }
    expect([...new Set(crashes)].slice(0, 20)).toEqual([])
  })
})
