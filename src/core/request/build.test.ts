import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { RequestSchema, type RequestInput } from '../../schema/request.ts'
import { TargetSchema } from '../../schema/target.ts'
import type { RefScope } from '../refs.ts'
import { resolveTarget, type ResolvedTarget } from '../resolve.ts'
import { buildRequest, type DpopKey, type PreparedRequest } from './build.ts'
import { formEncode } from './encoding.ts'
import { rng } from '../../../test/_rng.ts'

const unregisteredKey = async (alg: string) => (await generateKeyPair(alg)).privateKey

const target = TargetSchema.parse({
  name: 't',
  issuer: 'http://127.0.0.1:9',
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

function scopeOf(r: ResolvedTarget, over: Partial<RefScope> = {}): RefScope {
  return { resolved: r, issuer: 'http://127.0.0.1:9', endpoints: { token: 'http://127.0.0.1:9/token', introspection: 'http://127.0.0.1:9/introspect' }, nowSec: 1_800_000_000, random: 'r1', ...over }
}

async function build(request: RequestInput, r: ResolvedTarget = resolved, extra: { dpop?: { key: DpopKey; nonce?: string }; scope?: Partial<RefScope> } = {}): Promise<PreparedRequest> {
  const spec = RequestSchema.parse(request)
  const p = await buildRequest(spec, { scope: scopeOf(r, extra.scope), client: r.clients[spec.client]!, dpop: extra.dpop, unregisteredKey, randomId: () => `j${Math.random()}` })
  if ('skip' in p) throw new Error(p.skip)
  return p
}
const header = (p: PreparedRequest, name: string) => p.outgoing.headers.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v)
const form = (p: PreparedRequest) => new URLSearchParams(p.outgoing.body)

describe('form-urlencoding (RFC6749-B)', () => {
  it('encodes the Appendix B example as the RFC says, and a space as %20 on request', () => {
    expect(formEncode(' %&+£€')).toBe('+%25%26%2B%C2%A3%E2%82%AC')
    expect(formEncode(' %&+£€', '%20')).toBe('%20%25%26%2B%C2%A3%E2%82%AC')
  })

  it('writes what URLSearchParams writes, for every UTF-16 code unit, astral characters, lone surrogates and seeded random strings', () => {
    const reference = (v: string) => new URLSearchParams([['', v]]).toString().slice(1)
    const next = rng(17)
    const pick = () => {
      const r = next()
      // Mostly ASCII (where the two encoders' sets differ), some of the BMP, some surrogates.
      return r < 0.6 ? String.fromCharCode(32 + Math.floor(next() * 95)) : r < 0.9 ? String.fromCharCode(Math.floor(next() * 0x10000)) : String.fromCharCode(0xd800 + Math.floor(next() * 0x800))
    }
    const values = [
      ...Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c)),
      '😀',
      'a\u{10FFFF}b',
      '\uDC00\uD800',
      'x\uD83D',
      '+ +',
      ...Array.from({ length: 3000 }, () => Array.from({ length: 1 + Math.floor(next() * 12) }, pick).join('')),
    ]
    const differ = values.filter((v) => formEncode(v) !== reference(v) || formEncode(v, '%20') !== reference(v).replace(/\+/g, '%20'))
    expect(differ.map((v) => [...v].map((c) => c.codePointAt(0)!.toString(16)).join(' '))).toEqual([])
  })
})

describe('the default request (RFC6749-4.4.2)', () => {
  it('is a form POST with grant_type, the first valid scope, the audience and Basic credentials form-urlencoded (RFC6749-2.3.1)', async () => {
    const p = await build({})
    expect(p.outgoing.method).toBe('POST')
    expect(header(p, 'Content-Type')).toEqual(['application/x-www-form-urlencoded'])
    expect(form(p)).toEqual(new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', audience: 'https://api.example' }))
    expect(atob(header(p, 'Authorization')[0]!.slice(6))).toBe(`${formEncode('my client')}:${formEncode(SECRET)}`)
    expect(p.usedBasic).toBe(true)
    expect(p.authMethod).toBe('client_secret_basic')
    expect(p.requestedScope).toBe('read')
  })

  it('uses the body for a client_secret_post client', async () => {
    const p = await build({ client: 'post' })
    expect(header(p, 'Authorization')).toEqual([])
    expect(form(p).get('client_secret')).toBe('post-secret')
  })
})

describe('parameters as data', () => {
  it('set with references, remove, add, duplicate and order', async () => {
    const p = await build({
      params: { set: { scope: '${scopes.valid[1]} ${scopes.restricted}', foo: 'bar-${random}' }, remove: ['audience'], add: { scope: 'again' }, duplicate: ['grant_type'], order: ['foo', 'scope'] },
    })
    expect([...form(p)]).toEqual([
      ['foo', 'bar-r1'],
      ['scope', 'write admin'],
      ['scope', 'again'],
      ['grant_type', 'client_credentials'],
      ['grant_type', 'client_credentials'],
    ])
    expect(p.requestedScope).toBe('write admin')
  })

  it('a list reference is written space-delimited, and a missing one skips with the reason', async () => {
    expect(form(await build({ params: { set: { scope: '${scopes.valid}' } } })).get('scope')).toBe('read write')
    const spec = RequestSchema.parse({ params: { set: { resource: '${resource}' } } })
    const p = await buildRequest(spec, { scope: scopeOf(resolved), client: resolved.clients.primary!, unregisteredKey, randomId: () => 'x' })
    expect(p).toEqual({ skip: 'the target sets no resource' })
  })

  it('a space goes as + by default and as %20 when asked', async () => {
    const set = { params: { set: { scope: '${scopes.valid}' } } }
    expect(/(^|&)scope=read\+write(&|$)/.test((await build(set)).outgoing.body!)).toBe(true)
    expect(/(^|&)scope=read%20write(&|$)/.test((await build({ ...set, body: { spaceAs: '%20' } })).outgoing.body!)).toBe(true)
  })

  it('GET moves every parameter to the query; JSON and raw change the body', async () => {
    const get = await build({ method: 'GET' })
    expect(get.outgoing.body).toBeUndefined()
    expect(new URL(get.outgoing.url).searchParams.get('grant_type')).toBe('client_credentials')
    const json = await build({ body: { encoding: 'json' } })
    expect(header(json, 'Content-Type')).toEqual(['application/json'])
    expect(JSON.parse(json.outgoing.body!)).toMatchObject({ grant_type: 'client_credentials' })
    const raw = await build({ body: { encoding: 'raw', raw: 'grant_type=client_credentials&scope=${scopes.valid[0]}' } })
    expect(raw.outgoing.body).toBe('grant_type=client_credentials&scope=read')
  })
})

describe('headers as data', () => {
  it('set replaces a header whatever its case, and remove removes it', async () => {
    const p = await build({ headers: { set: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'X-Trace': '${client.id}' }, remove: ['accept'] } })
    expect(header(p, 'Content-Type')).toEqual(['application/x-www-form-urlencoded;charset=UTF-8'])
    expect(header(p, 'Accept')).toEqual([])
    expect(header(p, 'X-Trace')).toEqual(['my client'])
  })
})

describe('client authentication as data', () => {
  it('a wrong secret and an unknown client replace the credentials, and are shown', async () => {
    const p = await build({ auth: { method: 'basic', secret: 'grantcheck-wrong-${random}', clientId: 'grantcheck-unknown-${random}' } })
    expect(atob(header(p, 'Authorization')[0]!.slice(6))).toBe('grantcheck-unknown-r1:grantcheck-wrong-r1')
    expect(p.clientId).toBe('grantcheck-unknown-r1')
    expect(p.display.headers.find(([k]) => k === 'Authorization')![1]).toBe(header(p, 'Authorization')[0])
  })

  it('Basic raw sends the secret without form-urlencoding', async () => {
    const p = await build({ auth: { method: 'basic', encoding: 'raw' } })
    expect(atob(header(p, 'Authorization')[0]!.slice(6))).toBe(`my client:${SECRET}`)
  })

  it('both sends Basic and body credentials; query puts them in the URL; none sends nothing', async () => {
    const both = await build({ auth: 'both' })
    expect(header(both, 'Authorization')[0]).toMatch(/^Basic /)
    expect(form(both).get('client_secret')).toBe(SECRET)
    expect(both.authMethod).toBe('multiple')
    expect(new URL((await build({ auth: 'query' })).outgoing.url).searchParams.get('client_secret')).toBe(SECRET)
    const none = await build({ auth: 'none' })
    expect(header(none, 'Authorization')).toEqual([])
    expect(form(none).has('client_id')).toBe(false)
    expect(none.authMethod).toBe('none')
  })

  it('other-than-registered swaps Basic and the body', async () => {
    expect((await build({ auth: 'other-than-registered' })).authMethod).toBe('client_secret_post')
    expect((await build({ client: 'post', auth: 'other-than-registered' })).authMethod).toBe('client_secret_basic')
  })
})

describe('display and curl never hold the secret', () => {
  it.each<RequestInput>([
    {},
    { auth: 'body' },
    { auth: 'query' },
    { auth: 'both' },
    { body: { encoding: 'json' } },
    { auth: 'body', body: { encoding: 'json' } },
    { auth: 'body', body: { spaceAs: '%20' } },
    { auth: 'none', headers: { set: { 'X-Secret': 'pre-${client.secret}-post' } } },
    { auth: 'none', body: { encoding: 'raw', raw: 'client_secret=${clients.primary.secret}&grant_type=client_credentials' } },
    { auth: { method: 'basic', encoding: 'raw' } },
  ])('for %j', async (request) => {
    const p = await build(request)
    const shown = JSON.stringify(p.display) + p.curl
    for (const f of [SECRET, formEncode(SECRET), encodeURIComponent(SECRET), btoa(`${formEncode('my client')}:${formEncode(SECRET)}`), btoa(`my client:${SECRET}`)]) expect(shown).not.toContain(f)
    expect(p.curl).toMatch(/PRIMARY_SECRET/)
  })
})

describe('client assertions and DPoP proofs as data (RFC7523-3, RFC9449-4.2)', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'ec-1' }
  const t = TargetSchema.parse({
    name: 't',
    issuer: 'http://127.0.0.1:9',
    tokenEndpoint: 'http://127.0.0.1:9/token',
    clients: {
      jwt: { clientId: 'c-jwt', authMethod: 'private_key_jwt', privateJwk: JSON.stringify(jwk) },
      hs: { clientId: 'c-hs', authMethod: 'client_secret_jwt', clientSecret: 'hs-secret-0123456789' },
    },
    scopes: { valid: ['read'] },
  })
  const r = resolveTarget(t, () => undefined, 't')
  const dpopPrivate = (await generateKeyPair('ES256', { extractable: true })).privateKey
  const dpopPrivateJwk = await exportJWK(dpopPrivate)
  const { d: _d, ...dpopPublicJwk } = dpopPrivateJwk
  const dpopKey: DpopKey = { privateKey: dpopPrivate, privateJwk: dpopPrivateJwk, publicJwk: dpopPublicJwk, thumbprint: await calculateJwkThumbprint(dpopPublicJwk) }
  const assertionOf = (p: PreparedRequest) => form(p).get('client_assertion')!
  const jwtReq = (auth: RequestInput['auth'], rest: RequestInput = {}) => build({ client: 'jwt', auth, ...rest }, r)

  it('signs iss = sub = client_id, aud = token endpoint, a jti and a short exp, with the client key', async () => {
    const p = await jwtReq('registered')
    expect(decodeJwt(assertionOf(p))).toMatchObject({ iss: 'c-jwt', sub: 'c-jwt', aud: 'http://127.0.0.1:9/token', iat: 1_800_000_000, exp: 1_800_000_060 })
    expect(decodeProtectedHeader(assertionOf(p))).toEqual({ alg: 'ES256', kid: 'ec-1' })
    expect(form(p).get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(p.authMethod).toBe('private_key_jwt')
  })

  it('patches header and claims with references, null removing a member', async () => {
    const p = await jwtReq({ assertion: { header: { typ: 'client-authentication+jwt', kid: null }, claims: { aud: ['${issuer}'], iat: '${now+8}', jti: null } } })
    expect(decodeProtectedHeader(assertionOf(p))).toEqual({ alg: 'ES256', typ: 'client-authentication+jwt' })
    const claims = decodeJwt(assertionOf(p))
    expect(claims.aud).toEqual(['http://127.0.0.1:9'])
    expect(claims.iat).toBe(1_800_000_008)
    expect(claims.jti).toBeUndefined()
  })

  it('signs with the key the case names: none, public key as HMAC, corrupted', async () => {
    const none = assertionOf(await jwtReq({ assertion: { key: 'none' } }))
    expect(decodeProtectedHeader(none).alg).toBe('none')
    expect(none.endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(assertionOf(await jwtReq({ assertion: { key: 'public-key-as-hmac' } }))).alg).toBe('HS256')
    const good = assertionOf(await jwtReq('registered'))
    const bad = assertionOf(await jwtReq({ assertion: { signature: 'corrupted' } }))
    expect(bad.split('.')[2]!.length).toBe(good.split('.')[2]!.length)
    expect(bad.split('.')[2]!.slice(0, 8)).toMatch(/^[AB]{8}$/)
  })

  it('client_secret_jwt MACs with the secret; it has no public key to confuse', async () => {
    const p = await build({ client: 'hs' }, r)
    expect(decodeProtectedHeader(assertionOf(p)).alg).toBe('HS256')
    expect(p.authMethod).toBe('client_secret_jwt')
    const spec = RequestSchema.parse({ client: 'hs', auth: { assertion: { key: 'public-key-as-hmac' } } })
    expect(await buildRequest(spec, { scope: scopeOf(r), client: r.clients.hs!, unregisteredKey, randomId: () => 'x' })).toEqual({
      skip: 'client "hs" authenticates with a secret: it has no public key',
    })
  })

  it('sends a DPoP proof with typ, jwk, htm and htu without the query, and hides it from the report', async () => {
    const p = await build({ client: 'jwt', dpop: {} }, r, { dpop: { key: dpopKey } })
    const proof = header(p, 'DPoP')[0]!
    expect(decodeProtectedHeader(proof)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopPublicJwk })
    expect(decodeJwt(proof)).toMatchObject({ htm: 'POST', htu: 'http://127.0.0.1:9/token', iat: 1_800_000_000 })
    expect(p.dpopJkt).toBe(dpopKey.thumbprint)
    expect(JSON.stringify(p.display) + p.curl).not.toContain(proof)
    expect(p.curl).toContain('-H \'DPoP: \'"$DPOP_PROOF"')
    const leaky = await build({ client: 'jwt', dpop: { header: { jwk: '${key.privateJwk}' }, claims: { htm: 'GET', nonce: 'n1' } } }, r, { dpop: { key: dpopKey } })
    const leakyProof = header(leaky, 'DPoP')[0]!
    expect((decodeProtectedHeader(leakyProof).jwk as Record<string, unknown>).d).toBeDefined()
    expect(decodeJwt(leakyProof)).toMatchObject({ htm: 'GET', nonce: 'n1' })
  })

  it('introspection starts without grant parameters and sends the issued token as a secret', async () => {
    const p = await build({ endpoint: 'introspection', params: { set: { token: '${issued.access_token}' } } }, resolved, { scope: { issued: 'tok-123456789' } })
    expect(p.outgoing.url).toBe('http://127.0.0.1:9/introspect')
    expect([...form(p).keys()]).toEqual(['token'])
    expect(p.sentIssuedToken).toBe(true)
    expect(p.display.body).toBe('token=$ACCESS_TOKEN')
  })
})
