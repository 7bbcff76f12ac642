import { generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'

const unregisteredKey = async (alg: string) => (await generateKeyPair(alg)).privateKey
import { TargetSchema } from '../schema/target.ts'
import { buildRequest, formEncode, type PreparedRequest } from './request.ts'
import { resolveTarget } from './resolve.ts'

const target = TargetSchema.parse({
  name: 't',
  tokenEndpoint: 'http://127.0.0.1:9/token',
  clients: {
    primary: { clientId: 'my client', authMethod: 'client_secret_basic', clientSecret: { env: 'PRIMARY_SECRET' } },
    post: { clientId: 'p', authMethod: 'client_secret_post', clientSecret: 'post-secret' },
  },
  scopes: { valid: ['read', 'write'], restricted: 'admin' },
  audience: 'https://api.example',
})
const SECRET = 'a b+c%d&e:f'
const resolved = resolveTarget(target, (n) => (n === 'PRIMARY_SECRET' ? SECRET : undefined), 't.json')

async function build(role: string, mutate?: Parameters<typeof buildRequest>[0]['mutate']): Promise<PreparedRequest> {
  const r = await buildRequest({ target, endpoint: target.tokenEndpoint!, tokenEndpoint: target.tokenEndpoint!, client: resolved.clients[role]!, mutate, nowMs: 0, randomId: () => 'r1', unregisteredKey })
  if ('skip' in r) throw new Error(r.skip)
  return r
}
const header = (p: PreparedRequest, name: string) => p.outgoing.headers.find(([k]) => k === name)?.[1]

describe('form-urlencoding (RFC6749-B)', () => {
  it('encodes the Appendix B example as the RFC says', () => {
    expect(formEncode(' %&+£€')).toBe('+%25%26%2B%C2%A3%E2%82%AC')
  })
})

describe('the default request (RFC6749-4.4.2)', () => {
  it('is a form POST with grant_type, the first valid scope, the audience and Basic credentials form-urlencoded (RFC6749-2.3.1)', async () => {
    const p = await build('primary')
    expect(p.outgoing.method).toBe('POST')
    expect(header(p, 'Content-Type')).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(p.outgoing.body)).toEqual(new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', audience: 'https://api.example' }))
    const basic = atob(header(p, 'Authorization')!.slice(6))
    expect(basic).toBe(`${formEncode('my client')}:${formEncode(SECRET)}`)
    expect(p.usedBasic).toBe(true)
    expect(p.requestedScope).toBe('read')
  })

  it('uses the body for a client_secret_post client', async () => {
    const p = await build('post')
    expect(header(p, 'Authorization')).toBeUndefined()
    expect(new URLSearchParams(p.outgoing.body).get('client_secret')).toBe('post-secret')
  })
})

describe('mutations', () => {
  it('scope choices: omit, empty, all, restricted', async () => {
    expect(new URLSearchParams((await build('primary', { scope: 'omit' })).outgoing.body).has('scope')).toBe(false)
    expect(new URLSearchParams((await build('primary', { scope: 'empty' })).outgoing.body).get('scope')).toBe('')
    expect((await build('primary', { scope: 'all-valid-reversed' })).requestedScope).toBe('write read')
    expect((await build('primary', { scope: 'valid-and-restricted' })).requestedScope).toBe('read admin')
  })

  it('a wrong secret and an unknown client replace the credentials', async () => {
    const p = await build('primary', { secret: 'wrong', clientId: 'unknown' })
    const basic = atob(header(p, 'Authorization')!.slice(6))
    expect(basic).toBe('grantcheck-unknown-r1:grantcheck-wrong-r1')
    expect(p.clientId).toBe('grantcheck-unknown-r1')
  })

  it('GET moves every parameter to the query; JSON changes the body encoding', async () => {
    const get = await build('primary', { method: 'GET' })
    expect(get.outgoing.body).toBeUndefined()
    expect(new URL(get.outgoing.url).searchParams.get('grant_type')).toBe('client_credentials')
    const json = await build('primary', { body: 'json' })
    expect(header(json, 'Content-Type')).toBe('application/json')
    expect(JSON.parse(json.outgoing.body!)).toMatchObject({ grant_type: 'client_credentials' })
  })

  it('params: set, remove and duplicate', async () => {
    const p = await build('primary', { params: { set: { foo: 'bar' }, remove: ['audience'], duplicate: ['grant_type'] } })
    const q = new URLSearchParams(p.outgoing.body)
    expect(q.get('foo')).toBe('bar')
    expect(q.has('audience')).toBe(false)
    expect(q.getAll('grant_type')).toEqual(['client_credentials', 'client_credentials'])
  })

  it('basic-and-post sends both; query puts the secret in the URL', async () => {
    const both = await build('primary', { auth: 'basic-and-post' })
    expect(header(both, 'Authorization')).toMatch(/^Basic /)
    expect(new URLSearchParams(both.outgoing.body).get('client_secret')).toBe(SECRET)
    const query = await build('primary', { auth: 'query' })
    expect(new URL(query.outgoing.url).searchParams.get('client_secret')).toBe(SECRET)
  })
})

describe('display and curl never hold the secret', () => {
  it.each([undefined, { auth: 'post' as const }, { auth: 'query' as const }, { auth: 'basic-and-post' as const }, { body: 'json' as const }, { auth: 'post' as const, body: 'json' as const }])(
    'for mutation %j',
    async (mutate) => {
      const p = await build('primary', mutate)
      const shown = JSON.stringify(p.display) + p.curl
      for (const form of [SECRET, formEncode(SECRET), encodeURIComponent(SECRET), btoa(`${formEncode('my client')}:${formEncode(SECRET)}`)])
        expect(shown).not.toContain(form)
      expect(p.curl).toMatch(/\$PRIMARY_SECRET|process\.env\.PRIMARY_SECRET/)
    },
  )
})

describe('client assertions and DPoP proofs (RFC7523-3, RFC9449-4.2)', async () => {
  const { generateKeyPair: gen, exportJWK: exp, decodeJwt, decodeProtectedHeader, calculateJwkThumbprint } = await import('jose')
  const { privateKey } = await gen('ES256', { extractable: true })
  const jwk = { ...(await exp(privateKey)), kid: 'ec-1' }
  const t = TargetSchema.parse({
    name: 't',
    issuer: 'http://127.0.0.1:9',
    tokenEndpoint: 'http://127.0.0.1:9/token',
    clients: { jwt: { clientId: 'c-jwt', authMethod: 'private_key_jwt', privateJwk: JSON.stringify(jwk) } },
    scopes: { valid: ['read'] },
  })
  const r = resolveTarget(t, () => undefined, 't')
  const dpopPrivate = (await gen('ES256', { extractable: true })).privateKey
  const dpopPrivateJwk = await exp(dpopPrivate)
  const { d: _d, ...dpopPublicJwk } = dpopPrivateJwk
  const dpopKey = { privateKey: dpopPrivate, privateJwk: dpopPrivateJwk, publicJwk: dpopPublicJwk, thumbprint: await calculateJwkThumbprint(dpopPublicJwk) }
  const build = async (mutate: Parameters<typeof buildRequest>[0]['mutate'], dpop = false) => {
    const p = await buildRequest({ target: t, endpoint: 'http://127.0.0.1:9/token?x=1', tokenEndpoint: 'http://127.0.0.1:9/token', issuer: t.issuer, client: r.clients.jwt!, mutate, dpop: dpop ? { key: dpopKey } : undefined, nowMs: 1_800_000_000_000, randomId: () => `r${Math.random()}`, unregisteredKey })
    if ('skip' in p) throw new Error(p.skip)
    return p
  }
  const assertionOf = (p: PreparedRequest) => new URLSearchParams(p.outgoing.body).get('client_assertion')!

  it('signs iss = sub = client_id, aud = token endpoint, a jti and a short exp', async () => {
    const claims = decodeJwt(assertionOf(await build(undefined)))
    expect(claims).toMatchObject({ iss: 'c-jwt', sub: 'c-jwt', aud: 'http://127.0.0.1:9/token', iat: 1_800_000_000, exp: 1_800_000_060 })
    expect(typeof claims.jti).toBe('string')
    expect(decodeProtectedHeader(assertionOf(await build(undefined)))).toMatchObject({ alg: 'ES256', kid: 'ec-1' })
  })

  it('applies each named deviation', async () => {
    expect(decodeJwt(assertionOf(await build({ assertion: { aud: 'issuer' } }))).aud).toBe('http://127.0.0.1:9')
    expect(decodeJwt(assertionOf(await build({ assertion: { exp: 'expired' } }))).exp).toBeLessThan(1_800_000_000)
    expect(decodeJwt(assertionOf(await build({ assertion: { nbf: 'future' } }))).nbf).toBeGreaterThan(1_800_000_000)
    expect(decodeJwt(assertionOf(await build({ assertion: { sub: 'other' } }))).sub).toBe('grantcheck-other-client')
    expect(decodeProtectedHeader(assertionOf(await build({ assertion: { alg: 'none' } }))).alg).toBe('none')
    expect(assertionOf(await build({ assertion: { alg: 'none' } })).endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(assertionOf(await build({ assertion: { key: 'public-key-as-hmac-secret' } }))).alg).toBe('HS256')
    const noType = new URLSearchParams((await build({ assertion: { type: 'missing' } })).outgoing.body)
    expect(noType.has('client_assertion_type')).toBe(false)
    expect(new URLSearchParams((await build({ assertion: { clientId: 'other' } })).outgoing.body).get('client_id')).toBe('grantcheck-other-client')
  })

  it('sends a DPoP proof with typ, jwk, htm and htu without the query, and hides it from the report', async () => {
    const p = await build({ dpop: { proof: 'valid' } }, true)
    const proof = p.outgoing.headers.find(([k]) => k === 'DPoP')![1]
    expect(decodeProtectedHeader(proof)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopPublicJwk })
    expect(decodeJwt(proof)).toMatchObject({ htm: 'POST', htu: 'http://127.0.0.1:9/token', iat: 1_800_000_000 })
    expect(p.dpopJkt).toBe(dpopKey.thumbprint)
    expect(JSON.stringify(p.display) + p.curl).not.toContain(proof)
    expect(p.curl).toContain('"DPoP: $DPOP_PROOF"')
    const leaky = await build({ dpop: { proof: 'private-key-in-jwk' } }, true)
    expect((decodeProtectedHeader(leaky.outgoing.headers.find(([k]) => k === 'DPoP')![1]).jwk as Record<string, unknown>).d).toBeDefined()
  })
})
