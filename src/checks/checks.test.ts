import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { ALL_CHECKS, CHECKS } from './index.ts'
import type { CheckInput, DecodedToken, Verdict } from './types.ts'

const NOW = 1_800_000_000

function input(over: {
  status?: number
  headers?: Record<string, string>
  body?: unknown
  text?: string
  usedBasic?: boolean
  requestedScope?: string
  profile?: string
  token?: CheckInput['token']
  jwks?: CheckInput['jwks']
  url?: string
  authMethod?: string
  metadata?: Record<string, unknown>
  step?: CheckInput['step']
  clientAuthProfile?: 'oidc' | 'rfc7523'
  dpopJkt?: string
}): CheckInput {
  const text = over.text ?? (over.body === undefined ? '' : JSON.stringify(over.body))
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return {
    response: { status: over.status ?? 200, headers: new Headers(over.headers ?? {}), text, truncated: false, json },
    request: {
      method: 'POST',
      url: over.url ?? 'https://as.example/token',
      authMethod: over.authMethod ?? 'client_secret_basic',
      usedBasic: over.usedBasic ?? false,
      dpopJkt: over.dpopJkt,
      requestedScope: over.requestedScope,
      clientId: 'client-1',
    },
    step: over.step ?? 'token',
    target: {
      issuer: 'https://as.example',
      profile: over.profile ?? 'rfc6749',
      clientAuthProfile: over.clientAuthProfile ?? 'oidc',
      scopes: { valid: ['read'], restricted: 'admin', unknown: 'nope' },
      allowedOrigins: ['https://as.example'],
    },
    metadata: over.metadata,
    token: over.token,
    jwks: over.jwks,
    nowSec: NOW,
  }
}

async function run(id: string, i: CheckInput, args: Record<string, unknown> = {}): Promise<Verdict> {
  const def = CHECKS.get(id)
  if (!def) throw new Error(`no check ${id}`)
  return def.run(i, def.args.parse(args))
}

const TOKEN = { access_token: 'abc.DEF-123', token_type: 'Bearer', expires_in: 3600 }

describe('response checks', () => {
  it('status-in holds only for listed statuses', async () => {
    expect((await run('response.status-in', input({ status: 200 }), { in: [200] })).holds).toBe(true)
    expect((await run('response.status-in', input({ status: 201 }), { in: [200] })).holds).toBe(false)
  })

  it('no-token-issued fails when a 2xx carries an access_token (RFC6749-3.2.1)', async () => {
    expect((await run('response.no-token-issued', input({ status: 200, body: TOKEN }))).holds).toBe(false)
    expect((await run('response.no-token-issued', input({ status: 401, body: { error: 'invalid_client' } }))).holds).toBe(true)
    expect((await run('response.no-token-issued', input({ status: 200, text: 'ok' }))).holds).toBe(true)
  })

  it('token-or-error accepts a token or an allowed error, nothing else (RFC6749-3.3)', async () => {
    const args = { errors: ['invalid_scope'] }
    expect((await run('response.token-or-error', input({ body: TOKEN }), args)).holds).toBe(true)
    expect((await run('response.token-or-error', input({ status: 400, body: { error: 'invalid_scope' } }), args)).holds).toBe(true)
    expect((await run('response.token-or-error', input({ status: 400, body: { error: 'invalid_request' } }), args)).holds).toBe(false)
    expect((await run('response.token-or-error', input({ status: 500, body: { error: 'invalid_scope' } }), args)).holds).toBe(false)
  })

  it('observe always holds and records what happened', async () => {
    const v = await run('response.observe', input({ status: 400, body: { error: 'invalid_scope', error_description: 'no' } }))
    expect(v.holds).toBe(true)
    expect(v.actual).toContain('invalid_scope')
  })
})

describe('token response checks (RFC6749-5.1)', () => {
  it('json-content-type accepts a charset parameter and rejects other types', async () => {
    expect((await run('token-response.json-content-type', input({ headers: { 'content-type': 'application/json; charset=UTF-8' } }))).holds).toBe(true)
    expect((await run('token-response.json-content-type', input({ headers: { 'content-type': 'text/plain' } }))).holds).toBe(false)
    expect((await run('token-response.json-content-type', input({}))).holds).toBe(false)
  })

  it('has-access-token requires a VSCHAR string', async () => {
    expect((await run('token-response.has-access-token', input({ body: TOKEN }))).holds).toBe(true)
    expect((await run('token-response.has-access-token', input({ body: { ...TOKEN, access_token: 'ä' } }))).holds).toBe(false)
    expect((await run('token-response.has-access-token', input({ body: { token_type: 'Bearer' } }))).holds).toBe(false)
    expect((await run('token-response.has-access-token', input({ text: 'not json' }))).holds).toBe(false)
  })

  it('token-type compares case-insensitively', async () => {
    expect((await run('token-response.token-type', input({ body: { ...TOKEN, token_type: 'bearer' } }))).holds).toBe(true)
    expect((await run('token-response.token-type', input({ body: { ...TOKEN, token_type: 'mac' } }))).holds).toBe(false)
    expect((await run('token-response.token-type', input({ body: { access_token: 'x' } }))).holds).toBe(false)
  })

  it('expires-in-valid wants a positive integer number when present', async () => {
    expect((await run('token-response.expires-in-valid', input({ body: TOKEN }))).holds).toBe(true)
    expect((await run('token-response.expires-in-valid', input({ body: { access_token: 'x' } }))).holds).toBe(true)
    for (const bad of ['3600', 0, -5, 1.5]) {
      expect((await run('token-response.expires-in-valid', input({ body: { ...TOKEN, expires_in: bad } }))).holds).toBe(false)
    }
    expect((await run('token-response.has-expires-in', input({ body: { access_token: 'x' } }))).holds).toBe(false)
  })

  it('scope-echo fails only when a JWT shows a different grant without a scope member (RFC6749-3.3)', async () => {
    const jwt = (scope: unknown): DecodedToken => ({ header: { alg: 'RS256' }, claims: { scope } })
    const token = (scope: unknown) => ({ value: 'x', jwt: jwt(scope) })
    const body = { access_token: 'x', token_type: 'Bearer' }
    expect((await run('token-response.scope-echo', input({ body, requestedScope: 'a', token: token('b') }))).holds).toBe(false)
    expect((await run('token-response.scope-echo', input({ body, requestedScope: 'a b', token: token('b a') }))).holds).toBe(true)
    expect((await run('token-response.scope-echo', input({ body: { ...body, scope: 'b' }, requestedScope: 'a', token: token('b') }))).holds).toBe(true)
    // An opaque token without a scope member: the grant cannot be observed, so nothing is judged.
    expect((await run('token-response.scope-echo', input({ body, requestedScope: 'a', token: { value: 'opaque' } }))).holds).toBe('n/a')
    expect((await run('token-response.scope-echo', input({ body: { ...body, scope: 'bad"scope' }, requestedScope: 'a', token: token('a') }))).holds).toBe(false)
    expect((await run('token-response.scope-echo', input({ status: 400, body: { error: 'invalid_scope' }, requestedScope: 'a' }))).holds).toBe('n/a')
  })

  it('cache-control-no-store and pragma-no-cache read header directives', async () => {
    const h = { 'cache-control': 'private, No-Store', pragma: 'no-cache' }
    expect((await run('token-response.cache-control-no-store', input({ headers: h }))).holds).toBe(true)
    expect((await run('token-response.cache-control-no-store', input({ headers: { 'cache-control': 'no-cache' } }))).holds).toBe(false)
    expect((await run('token-response.pragma-no-cache', input({ headers: h }))).holds).toBe(true)
    expect((await run('token-response.pragma-no-cache', input({}))).holds).toBe(false)
  })

  it('no-refresh-token fails when one is issued (RFC6749-4.4.3)', async () => {
    expect((await run('token-response.no-refresh-token', input({ body: TOKEN }))).holds).toBe(true)
    expect((await run('token-response.no-refresh-token', input({ body: { ...TOKEN, refresh_token: 'r' } }))).holds).toBe(false)
  })
})

describe('error response checks (RFC6749-5.2)', () => {
  const json = { 'content-type': 'application/json' }
  it('error-code wants a 4xx with an expected error', async () => {
    const args = { in: ['invalid_client'] }
    expect((await run('error-response.error-code', input({ status: 401, body: { error: 'invalid_client' } }), args)).holds).toBe(true)
    expect((await run('error-response.error-code', input({ status: 401, body: { error: 'access_denied' } }), args)).holds).toBe(false)
    expect((await run('error-response.error-code', input({ status: 500, body: { error: 'invalid_client' } }), args)).holds).toBe(false)
    expect((await run('error-response.error-code', input({ status: 400, text: 'invalid_client' }), args)).holds).toBe(false)
  })

  it('well-formed checks the media type and the allowed characters', async () => {
    expect((await run('error-response.well-formed', input({ status: 400, headers: json, body: { error: 'invalid_request', error_description: 'fine text' } }))).holds).toBe(true)
    expect((await run('error-response.well-formed', input({ status: 400, headers: json, body: { error: 'invalid_request', error_description: 'say "no"' } }))).holds).toBe(false)
    expect((await run('error-response.well-formed', input({ status: 400, headers: json, body: { error: 'x', error_uri: 'https://a b' } }))).holds).toBe(false)
    expect((await run('error-response.well-formed', input({ status: 400, headers: { 'content-type': 'text/html' }, body: { error: 'x' } }))).holds).toBe(false)
    expect((await run('error-response.well-formed', input({ status: 200, body: TOKEN }))).holds).toBe('n/a')
  })

  it('invalid-client-basic-challenge wants 401 and a Basic scheme after Basic authentication', async () => {
    const run401 = (challenge?: string, status = 401) =>
      run('error-response.invalid-client-basic-challenge', input({ status, usedBasic: true, headers: challenge ? { 'www-authenticate': challenge } : {} }))
    expect((await run401('Basic realm="x"')).holds).toBe(true)
    expect((await run401('Bearer realm="x", basic realm="y"')).holds).toBe(true)
    expect((await run401('Bearer realm="Basic"')).holds).toBe(false)
    expect((await run401(undefined)).holds).toBe(false)
    const refusedBasic = (status: number, error: string) =>
      run('error-response.invalid-client-basic-challenge', input({ status, usedBasic: true, body: { error }, headers: { 'content-type': 'application/json' } }))
    expect((await refusedBasic(400, 'invalid_client')).holds).toBe(false)
    // Refused for another reason than failed authentication: no challenge is owed (two methods at once).
    expect((await refusedBasic(400, 'invalid_request')).holds).toBe('n/a')
    // Not allowed the grant, answered 401 with a Bearer challenge: HTTP's rule holds, §5.2's Basic
    // challenge belongs to invalid_client; a 401 without any challenge breaks RFC 9110 §15.5.2.
    const refused401 = (challenge?: string) =>
      run(
        'error-response.invalid-client-basic-challenge',
        input({ status: 401, usedBasic: true, body: { error: 'unauthorized_client' }, headers: { 'content-type': 'application/json', ...(challenge ? { 'www-authenticate': challenge } : {}) } }),
      )
    expect((await refused401('Bearer realm="x"')).holds).toBe('n/a')
    expect((await refused401()).holds).toBe(false)
    expect((await run('error-response.invalid-client-basic-challenge', input({ status: 400 }))).holds).toBe('n/a')
  })
})

describe('JWT access token checks (RFC9068)', async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }
  const claims = { iss: 'https://as.example', sub: 'client-1', aud: 'api', client_id: 'client-1', jti: 'j', iat: NOW, exp: NOW + 3600 }
  async function tokenInput(over: { claims?: Record<string, unknown>; typ?: string; key?: CryptoKey; expiresIn?: number } = {}) {
    const header = { alg: 'RS256', kid: 'k1', typ: over.typ ?? 'at+jwt' }
    const c = over.claims ?? claims
    const value = await new SignJWT(c).setProtectedHeader(header).sign(over.key ?? privateKey)
    return input({ body: { ...TOKEN, expires_in: over.expiresIn ?? 3600 }, token: { value, jwt: { header, claims: c } }, jwks: { keys: [jwk] } })
  }

  it('signature verifies against the JWKS and fails with another key', async () => {
    expect((await run('jwt-access-token.signature', await tokenInput())).holds).toBe(true)
    const other = await generateKeyPair('RS256')
    expect((await run('jwt-access-token.signature', await tokenInput({ key: other.privateKey }))).holds).toBe(false)
  })

  it('every JWT check is not applicable to an opaque token', async () => {
    const opaque = input({ body: TOKEN, token: { value: 'opaque' } })
    for (const id of [...CHECKS.keys()].filter((k) => k.startsWith('jwt-access-token.'))) {
      expect((await run(id, opaque)).holds, id).toBe('n/a')
    }
  })

  it('typ accepts at+jwt in any case and application/at+jwt', async () => {
    expect((await run('jwt-access-token.typ', await tokenInput({ typ: 'AT+JWT' }))).holds).toBe(true)
    expect((await run('jwt-access-token.typ', await tokenInput({ typ: 'application/at+jwt' }))).holds).toBe(true)
    expect((await run('jwt-access-token.typ', await tokenInput({ typ: 'JWT' }))).holds).toBe(false)
  })

  it('required-claims names provider dialects of a missing claim', async () => {
    const { client_id: _c, ...okta } = { ...claims, cid: 'client-1' }
    expect((await run('jwt-access-token.required-claims', await tokenInput())).holds).toBe(true)
    const v = await run('jwt-access-token.required-claims', await tokenInput({ typ: 'JWT', claims: okta }))
    expect(v.holds).toBe(false)
    expect(v.actual).toContain('"cid"')
  })

  it('issuer, lifetime and client checks catch the wrong values', async () => {
    expect((await run('jwt-access-token.iss-matches-issuer', await tokenInput({ claims: { ...claims, iss: 'https://as.example/' } }))).holds).toBe(false)
    expect((await run('jwt-access-token.lifetime', await tokenInput({ claims: { ...claims, exp: NOW - 3600 } }))).holds).toBe(false)
    expect((await run('jwt-access-token.lifetime', await tokenInput({ claims: { ...claims, iat: NOW + 3600 } }))).holds).toBe(false)
    expect((await run('jwt-access-token.exp-matches-expires-in', await tokenInput({ expiresIn: 60 }))).holds).toBe(false)
    expect((await run('jwt-access-token.client-id', await tokenInput({ claims: { ...claims, client_id: 'other' } }))).holds).toBe(false)
    expect((await run('jwt-access-token.sub-identifies-client', await tokenInput({ claims: { ...claims, sub: 'client-1@clients' } }))).holds).toBe(true)
    expect((await run('jwt-access-token.sub-identifies-client', await tokenInput({ claims: { ...claims, sub: 'user-7' } }))).holds).toBe(false)
  })
})

describe('the vocabulary', () => {
  it('has unique dotted ids and a summary for every check', () => {
    const ids = ALL_CHECKS.map((c) => c.id)
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
    expect(CHECKS.size).toBe(ALL_CHECKS.length)
    for (const def of ALL_CHECKS) {
      expect(def.id).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
      expect(def.summary.length, def.id).toBeGreaterThan(10)
    }
  })
})

describe('checks added for the full catalogue', () => {
  it('uses-tls fails plain http on a non-loopback host and skips loopback (RFC6749-3.2)', async () => {
    expect((await run('request.uses-tls', input({ url: 'https://as.example/token' }))).holds).toBe(true)
    expect((await run('request.uses-tls', input({ url: 'http://as.example/token' }))).holds).toBe(false)
    expect((await run('request.uses-tls', input({ url: 'http://127.0.0.1:8080/token' }))).holds).toBe('n/a')
  })

  it('endpoint-without-fragment judges the advertised token_endpoint (RFC6749-3.2)', async () => {
    expect((await run('request.endpoint-without-fragment', input({ metadata: { token_endpoint: 'https://as.example/token' } }))).holds).toBe(true)
    expect((await run('request.endpoint-without-fragment', input({ metadata: { token_endpoint: 'https://as.example/token#x' } }))).holds).toBe(false)
    expect((await run('request.endpoint-without-fragment', input({}))).holds).toBe('n/a')
  })

  it('auth-method-advertised uses RFC 8414 default of client_secret_basic when the list is absent', async () => {
    const token = { value: 'x' }
    expect(
      (await run('response.auth-method-advertised', input({ body: TOKEN, token, authMethod: 'client_secret_post', metadata: { token_endpoint_auth_methods_supported: ['client_secret_post'] } })))
        .holds,
    ).toBe(true)
    expect((await run('response.auth-method-advertised', input({ body: TOKEN, token, authMethod: 'client_secret_post', metadata: {} }))).holds).toBe(false)
    expect((await run('response.auth-method-advertised', input({ body: TOKEN, token, authMethod: 'client_secret_basic', metadata: {} }))).holds).toBe(true)
    expect((await run('response.auth-method-advertised', input({ status: 401, body: { error: 'invalid_client' }, metadata: {} }))).holds).toBe('n/a')
  })

  it('registered-code and status-400 read RFC 6749 §5.2', async () => {
    expect((await run('error-response.registered-code', input({ status: 400, body: { error: 'invalid_target' } }))).holds).toBe(true)
    expect((await run('error-response.registered-code', input({ status: 401, body: { error: 'access_denied' } }))).holds).toBe(false)
    expect((await run('error-response.status-400', input({ status: 401, body: { error: 'invalid_client' } }))).holds).toBe(true)
    expect((await run('error-response.status-400', input({ status: 401, body: { error: 'invalid_request' } }))).holds).toBe(false)
    expect((await run('error-response.status-400', input({ status: 403, body: { error: 'unauthorized_client' } }))).holds).toBe(false)
  })

  it('access-token-entropy fails only tokens that cannot hold the bits, and judges JWTs by signature (RFC6749-10.10)', async () => {
    const opaque = (value: string) => input({ body: TOKEN, token: { value } })
    expect((await run('token-response.access-token-entropy', opaque('0123456789abcdef'), { minBits: 128 })).holds).toBe(false)
    expect((await run('token-response.access-token-entropy', opaque(crypto.randomUUID()), { minBits: 128 })).holds).toBe(false)
    expect((await run('token-response.access-token-entropy', opaque('a'.repeat(22) + 'B_-'), { minBits: 128 })).holds).toBe(true)
    expect((await run('token-response.access-token-entropy', opaque('f'.repeat(32)), { minBits: 160 })).holds).toBe(false)
    const signed = input({ body: TOKEN, token: { value: 'a.b.sig', jwt: { header: { alg: 'ES256' }, claims: {} } } })
    expect((await run('token-response.access-token-entropy', signed, { minBits: 160 })).holds).toBe(true)
    const unsigned = input({ body: TOKEN, token: { value: 'a.b.', jwt: { header: { alg: 'none' }, claims: {} } } })
    expect((await run('token-response.access-token-entropy', unsigned, { minBits: 128 })).holds).toBe(false)
  })
})

describe('checks added for JWT client authentication, introspection, metadata, resources and DPoP', () => {
  it('introspection.active wants HTTP 200 JSON with the expected boolean (RFC7662-2.2)', async () => {
    const json = { 'content-type': 'application/json' }
    expect((await run('introspection.active', input({ headers: json, body: { active: true } }), { expected: true })).holds).toBe(true)
    expect((await run('introspection.active', input({ headers: json, body: { active: 'true' } }), { expected: true })).holds).toBe(false)
    expect((await run('introspection.active', input({ status: 400, headers: json, body: { error: 'unsupported_token_type' } }), { expected: false })).holds).toBe(false)
  })

  it('introspection.describes-token compares client_id and scope with the issued token', async () => {
    const token = { value: 'x', scope: 'read' }
    expect((await run('introspection.describes-token', input({ step: 'introspect', token, body: { active: true, client_id: 'client-1', scope: 'read' } }))).holds).toBe(true)
    expect((await run('introspection.describes-token', input({ step: 'introspect', token, body: { active: true, client_id: 'other' } }))).holds).toBe(false)
    expect((await run('introspection.describes-token', input({ step: 'introspect', token, body: { active: true, scope: 'read write' } }))).holds).toBe(false)
  })

  it('introspection.requires-authorization fails only when an unauthenticated caller learns the token is active (RFC7662-2.1)', async () => {
    expect((await run('introspection.requires-authorization', input({ status: 401, body: { error: 'invalid_client' } }))).holds).toBe(true)
    expect((await run('introspection.requires-authorization', input({ body: { active: false } }))).holds).toBe(true)
    expect((await run('introspection.requires-authorization', input({ body: { active: true } }))).holds).toBe(false)
  })

  it('revocation.accepted takes 200 or unsupported_token_type (RFC7009-2.2)', async () => {
    expect((await run('revocation.accepted', input({ status: 200 }))).holds).toBe(true)
    expect((await run('revocation.accepted', input({ status: 400, body: { error: 'unsupported_token_type' } }))).holds).toBe(true)
    expect((await run('revocation.accepted', input({ status: 400, body: { error: 'invalid_request' } }))).holds).toBe(false)
  })

  it('metadata checks read RFC 8414 defaults and rules', async () => {
    const md = (metadata: Record<string, unknown>) => input({ metadata })
    expect((await run('metadata.grant-types-include-client-credentials', md({}))).holds).toBe(false)
    expect((await run('metadata.grant-types-include-client-credentials', md({ grant_types_supported: ['client_credentials'] }))).holds).toBe(true)
    expect((await run('metadata.no-password-grant', md({ grant_types_supported: ['password'] }))).holds).toBe(false)
    expect((await run('metadata.signing-algs-for-jwt-methods', md({ token_endpoint_auth_methods_supported: ['private_key_jwt'] }))).holds).toBe(false)
    expect(
      (await run('metadata.signing-algs-for-jwt-methods', md({ token_endpoint_auth_methods_supported: ['private_key_jwt'], token_endpoint_auth_signing_alg_values_supported: ['RS256', 'none'] })))
        .holds,
    ).toBe(false)
    expect((await run('metadata.signing-algs-for-jwt-methods', md({}))).holds).toBe('n/a')
    expect((await run('metadata.token-endpoint-present', md({ token_endpoint: 'https://as.example/token' }))).holds).toBe(true)
    expect((await run('metadata.token-endpoint-present', md({}))).holds).toBe(false)
    const discovery = [{ url: 'https://as.example/.well-known/oauth-authorization-server', status: 200, issuer: 'https://as.example/x' }]
    expect((await run('metadata.issuer-identical', { ...md({}), discovery })).holds).toBe(false)
  })

  it('metadata.jwks-valid rejects private members, duplicate kids and empty sets', async () => {
    const withJwks = (keys: Array<Record<string, unknown>>) => ({ ...input({}), jwks: { keys } })
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)
    expect((await run('metadata.jwks-valid', withJwks([{ ...rsa, kid: 'a' }]))).holds).toBe(true)
    expect((await run('metadata.jwks-valid', withJwks([{ kty: 'RSA', kid: 'a', d: 'secret' }]))).holds).toBe(false)
    expect(
      (
        await run(
          'metadata.jwks-valid',
          withJwks([
            { kty: 'EC', kid: 'a' },
            { kty: 'EC', kid: 'a' },
          ]),
        )
      ).holds,
    ).toBe(false)
    expect((await run('metadata.jwks-valid', withJwks([]))).holds).toBe(false)
  })

  it('JWT kid, scope claim and DPoP binding', async () => {
    const jwt = (header: Record<string, unknown>, claims: Record<string, unknown>, over: Parameters<typeof input>[0] = {}) =>
      input({ body: TOKEN, token: { value: 'a.b.c', jwt: { header, claims } }, jwks: { keys: [{ kty: 'RSA', kid: 'k1' }] }, ...over })
    expect((await run('jwt-access-token.kid-found', jwt({ kid: 'k1' }, {}))).holds).toBe(true)
    expect((await run('jwt-access-token.kid-found', jwt({ kid: 'k2' }, {}))).holds).toBe(false)
    // No kid: nothing to choose with one signing key (RFC 7515 §4.1.4), a warning with several.
    expect((await run('jwt-access-token.kid-found', jwt({}, {}))).holds).toBe(true)
    expect(
      (
        await run(
          'jwt-access-token.kid-found',
          jwt(
            {},
            {},
            {
              jwks: {
                keys: [
                  { kty: 'RSA', kid: 'k1' },
                  { kty: 'EC', kid: 'k2' },
                  { kty: 'RSA', use: 'enc' },
                ],
              },
            },
          ),
        )
      ).holds,
    ).toBe(false)
    expect((await run('jwt-access-token.kid-found', jwt({ alg: 'HS256' }, {}))).holds).toBe('n/a')
    // A shared-secret signature is lawful (RFC 9068 §2.1): not verifiable through a JWKS, and
    // short of the RECOMMENDED asymmetric algorithm.
    expect((await run('jwt-access-token.signature', jwt({ alg: 'HS256' }, {}))).holds).toBe('n/a')
    expect((await run('jwt-access-token.asymmetric-signature', jwt({ alg: 'HS256' }, {}))).holds).toBe(false)
    expect((await run('jwt-access-token.asymmetric-signature', jwt({ alg: 'ES256' }, {}))).holds).toBe(true)
    // Claims RFC 9068 requires, absent from a JWT that does not declare it: nothing to judge.
    for (const id of ['jwt-access-token.iss-matches-issuer', 'jwt-access-token.sub-identifies-client', 'jwt-access-token.lifetime'])
      expect((await run(id, jwt({ typ: 'JWT' }, {}, { profile: 'rfc6749' }))).holds, id).toBe('n/a')
    expect((await run('jwt-access-token.sub-identifies-client', jwt({ typ: 'at+jwt' }, {}))).holds).toBe(false)
    expect((await run('jwt-access-token.scope-claim', jwt({}, { scp: ['read'] }, { requestedScope: 'read' }))).holds).toBe(true)
    const roles = await run('jwt-access-token.scope-claim', jwt({}, { roles: ['App.Read'] }, { requestedScope: 'read' }))
    expect(roles.holds).toBe(false)
    expect(roles.actual).toContain('roles')
    const dpop = (cnf: unknown) => jwt({}, { cnf }, { body: { ...TOKEN, token_type: 'DPoP' }, dpopJkt: 'thumb' })
    expect((await run('jwt-access-token.cnf-jkt', dpop({ jkt: 'thumb' }))).holds).toBe(true)
    expect((await run('jwt-access-token.cnf-jkt', dpop(undefined))).holds).toBe(false)
    expect((await run('jwt-access-token.cnf-jkt', jwt({}, {}, { dpopJkt: 'thumb' }))).holds).toBe('n/a')
  })
})

describe('keys are judged before they are trusted (issue 24)', async () => {
  const claims = { iss: 'https://as.example', sub: 'client-1', aud: 'api', client_id: 'client-1', jti: 'j', iat: NOW, exp: NOW + 3600 }
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' }
  const ec = await generateKeyPair('ES256', { extractable: true })
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' }
  const encoder = new TextEncoder()

  /** The token input of a compact JWS and the key set the check reads. */
  const judged = (value: string, keys: Array<Record<string, unknown>>) => {
    const [h, p] = value.split('.') as [string, string]
    const jwt = { header: JSON.parse(new TextDecoder().decode(base64url.decode(h))), claims: JSON.parse(new TextDecoder().decode(base64url.decode(p))) }
    return input({ body: TOKEN, token: { value, jwt }, jwks: { keys } })
  }
  const signed = (header: { alg: string; kid?: string }, key: CryptoKey | Uint8Array) => new SignJWT(claims).setProtectedHeader({ typ: 'at+jwt', ...header }).sign(key)
  /** A JWS over header and claims whose signature some function makes of the signing input. */
  const made = async (header: Record<string, unknown>, sign: (input: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>) => {
    const signingInput = `${base64url.encode(JSON.stringify({ typ: 'at+jwt', ...header }))}.${base64url.encode(JSON.stringify(claims))}`
    return `${signingInput}.${base64url.encode(await sign(encoder.encode(signingInput)))}`
  }
  const signature = (i: CheckInput) => run('jwt-access-token.signature', i)
  const jwksValid = (keys: Array<Record<string, unknown>>) => run('metadata.jwks-valid', { ...input({}), jwks: { keys } })

  it('a lawful set passes both checks: RSA, EC and Ed25519 signatures, beside an encryption key, x5c, extra members and an unknown kty', async () => {
    const ed = await generateKeyPair('EdDSA', { extractable: true, crv: 'Ed25519' })
    const edJwk = { ...(await exportJWK(ed.publicKey)), kid: 'ed' }
    const enc = { ...(await exportJWK((await generateKeyPair('RSA-OAEP-256', { extractable: true })).publicKey)), kid: 'enc', use: 'enc', alg: 'RSA-OAEP-256' }
    const keys = [enc, { ...rsaJwk, x5c: ['MIIB'], 'x-rotation': 'next' }, ecJwk, edJwk, { kty: 'AKP', kid: 'pq', alg: 'ML-DSA-44', pub: 'AAAA' }]
    expect(await signature(judged(await signed({ alg: 'RS256', kid: 'rsa' }, rsa.privateKey), keys))).toMatchObject({ holds: true, message: 'signature verified with kid "rsa"' })
    expect((await signature(judged(await signed({ alg: 'ES256', kid: 'ec' }, ec.privateKey), keys))).holds).toBe(true)
    expect((await signature(judged(await signed({ alg: 'EdDSA', kid: 'ed' }, ed.privateKey), keys))).holds).toBe(true)
    expect((await signature(judged(await signed({ alg: 'Ed25519', kid: 'ed' }, ed.privateKey), keys))).holds).toBe(true)
    const valid = await jwksValid(keys)
    expect(valid.holds).toBe(true)
    expect(valid.message).toContain('kty AKP: not a key type grantcheck knows, so not judged')
  })

  it('an RSA key with e = 1 makes every message its own signature: both checks fail, naming the key and RFC 8017 §3.1', async () => {
    const forged = await made({ alg: 'RS256', kid: 'rsa' }, async (signingInput) => {
      // RSASSA-PKCS1-v1_5 (RFC 8017 §9.2): EM = 0x00 0x01 FF… 0x00 DigestInfo(SHA-256) H, as long as the modulus.
      const h = new Uint8Array(await crypto.subtle.digest('SHA-256', signingInput))
      const digestInfo = Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20, ...h])
      const k = base64url.decode(rsaJwk.n!).length
      return Uint8Array.from([0, 1, ...new Uint8Array(k - digestInfo.length - 3).fill(0xff), 0, ...digestInfo])
    })
    const keys = [{ ...rsaJwk, e: 'AQ' }]
    const v = await signature(judged(forged, keys))
    expect(v.holds).toBe(false)
    expect(v.message).toMatch(/^it verifies with kid "rsa", which has RSA exponent 1, below 3 \(RFC 8017 §3\.1/)
    expect(v.message).toContain('proves nothing')
    expect((await jwksValid(keys)).message).toMatch(/^kid "rsa" has RSA exponent 1, below 3/)
    // An even exponent breaks the same section.
    expect((await signature(judged(await signed({ alg: 'RS256', kid: 'rsa' }, rsa.privateKey), [{ ...rsaJwk, e: 'AQAA' }]))).message).toMatch(
      /^the key for it is kid "rsa", which has an even RSA exponent/,
    )
  })

  it('a 1024-bit RSA key fails with the rule (RFC 7518 §3.3), not with what jose says of it', async () => {
    const weak = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])
    const { n, e } = await crypto.subtle.exportKey('jwk', weak.publicKey)
    const keys = [{ kty: 'RSA', n, e, kid: 'weak', alg: 'RS256' }]
    const token = await made({ alg: 'RS256', kid: 'weak' }, async (data) => new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', weak.privateKey, data)))
    const v = await signature(judged(token, keys))
    expect(v.holds).toBe(false)
    expect(v.message).toMatch(/^the key for it is kid "weak", which is an RSA key of 1024 bits, under the 2048 RFC 7518 §3\.3 requires/)
    expect(v.message).not.toContain('modulusLength')
    expect((await jwksValid(keys)).message).toMatch(/^kid "weak" is an RSA key of 1024 bits/)
  })

  it('an EC point off its curve is no key: the signature made with the real key cannot count (RFC 7518 §6.2.1)', async () => {
    const y = base64url.decode(ecJwk.y!)
    y[31]! ^= 1
    const keys = [rsaJwk, { ...ecJwk, y: base64url.encode(y) }]
    const v = await signature(judged(await signed({ alg: 'ES256', kid: 'ec' }, ec.privateKey), keys))
    expect(v.holds).toBe(false)
    expect(v.message).toMatch(/^the key for it is kid "ec", which has an EC point that is not on P-256 \(RFC 7518 §6\.2\.1/)
    expect((await jwksValid(keys)).message).toMatch(/^kid "ec" has an EC point that is not on P-256/)
  })

  it('a symmetric key in the set fails metadata.jwks-valid; a token signed with it fails the signature (RFC 8414 §2)', async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32))
    const oct = { kty: 'oct', kid: 'hs', alg: 'HS256', k: base64url.encode(secret) }
    expect((await jwksValid([rsaJwk, oct])).message).toMatch(/^kid "hs" is a symmetric key \(kty oct\)/)
    // The RSA signature is judged by its own key: a bad key elsewhere is not the signature's business.
    expect((await signature(judged(await signed({ alg: 'RS256', kid: 'rsa' }, rsa.privateKey), [rsaJwk, oct]))).holds).toBe(true)
    const hs = await signature(judged(await signed({ alg: 'HS256', kid: 'hs' }, secret), [rsaJwk, oct]))
    expect(hs.holds).toBe(false)
    expect(hs.message).toContain('signed with a shared secret the JWKS publishes (kid "hs")')
    // A shared secret the set does not hold stays lawful and out of reach (RFC 9068 §2.1).
    expect((await signature(judged(await signed({ alg: 'HS256', kid: 'hs' }, crypto.getRandomValues(new Uint8Array(32))), [rsaJwk, oct]))).holds).toBe('n/a')
    expect((await signature(judged(await signed({ alg: 'HS256' }, secret), [rsaJwk]))).holds).toBe('n/a')
  })

  it('private members fail both checks, even when the signature verifies with the key', async () => {
    const keys = [{ ...(await exportJWK(rsa.privateKey)), kid: 'rsa', alg: 'RS256' }]
    const v = await signature(judged(await signed({ alg: 'RS256', kid: 'rsa' }, rsa.privateKey), keys))
    expect(v.holds).toBe(false)
    expect(v.message).toMatch(/^it verifies with kid "rsa", which publishes private members \(d, p, q, dp, dq, qi\)/)
    expect((await jwksValid(keys)).message).toMatch(/^kid "rsa" publishes private members/)
  })

  it('an alg that does not fit the kty fails both checks (RFC 7517 §4.4, RFC 7518 §3.1)', async () => {
    const keys = [{ ...rsaJwk, alg: 'ES256' }]
    const v = await signature(judged(await signed({ alg: 'RS256', kid: 'rsa' }, rsa.privateKey), keys))
    expect(v.holds).toBe(false)
    expect(v.message).toMatch(/^it verifies with kid "rsa", which has alg ES256, which needs kty EC/)
    expect((await jwksValid(keys)).message).toBe('kid "rsa" has alg ES256, which needs kty EC (RFC 7518 §3.4), not RSA')
    expect((await jwksValid([{ ...ecJwk, alg: 'ES512' }])).message).toContain('needs crv P-521')
  })

  it("without a kid, the key that verifies counts: a bad key beside it is not the signature's business", async () => {
    const weak = { ...rsaJwk, kid: undefined, e: 'AQ' }
    const good = { ...rsaJwk, kid: undefined }
    const token = await signed({ alg: 'RS256' }, rsa.privateKey)
    expect((await signature(judged(token, [weak, good]))).holds).toBe(true)
    const alone = await signature(judged(token, [weak]))
    expect(alone.holds).toBe(false)
    expect(alone.message).toMatch(/^the key for it is key 0 \(no kid\), which has RSA exponent 1/)
    expect((await jwksValid([weak, good])).message).toMatch(/^key 0 \(no kid\) has RSA exponent 1/)
  })

  it('names a key whose kty cannot verify the alg, and one the set does not have', async () => {
    const token = await signed({ alg: 'RS256', kid: 'ec' }, rsa.privateKey)
    expect((await signature(judged(token, [ecJwk]))).message).toBe('kid "ec" is kty "EC", which cannot verify alg RS256 (RFC 7518 §3.1)')
    expect((await signature(judged(token, [rsaJwk]))).message).toBe('no published key has kid "ec"')
    expect((await signature(judged(await signed({ alg: 'RS256' }, rsa.privateKey), [ecJwk]))).message).toBe('no published key can verify alg RS256')
  })
})
