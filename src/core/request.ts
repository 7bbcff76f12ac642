/**
 * Builds the requests of a case: the spec-correct default for its client, changed only by the
 * case's explicit `mutate` block.
 *
 * A token request is what RFC 6749 §4.4.2 asks for: a POST with an
 * `application/x-www-form-urlencoded` body carrying `grant_type=client_credentials`, and the
 * client authenticated by its registered method, Basic credentials form-urlencoded before Base64
 * (§2.3.1), client assertions as OpenID Connect Core §9 describes them. Introspection and
 * revocation requests carry their own parameters with the same client authentication.
 *
 * @see [RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4.2)
 * @see [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1)
 * @see [RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2)
 * @module
 */
import { exportSPKI, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose'
import type { AssertionMutate, Mutate, ScopeChoice } from '../schema/suite.ts'
import type { Target } from '../schema/target.ts'
import { buildCurl, type RequestParam } from './curl.ts'
import type { OutgoingRequest } from './http.ts'
import type { ResolvedClient } from './resolve.ts'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** A redirect URI no client can have registered (.invalid is reserved, RFC 2606). */
export const UNREGISTERED_REDIRECT_URI = 'https://client.grantcheck.invalid/callback'
/** An identifier no server knows, for assertions that name the wrong client or audience. */
export const OTHER_CLIENT_ID = 'grantcheck-other-client'
const WRONG_AUDIENCE = 'https://wrong.grantcheck.invalid/token'

export interface PreparedRequest {
  /** What is sent. Holds secrets: never leaves the engine. */
  outgoing: OutgoingRequest
  /** The same request with every secret replaced by a label: safe to report. */
  display: OutgoingRequest
  curl: string
  /** The scope parameter as sent (undefined when omitted). */
  requestedScope: string | undefined
  /** True when credentials went in an Authorization: Basic header. */
  usedBasic: boolean
  /** The authentication method presented, as a token_endpoint_auth_method name, `none` or `multiple`. */
  authMethod: string
  /** The client identifier presented (which may be a deliberately unknown one). */
  clientId: string
  /** The RFC 7638 thumbprint of the DPoP key, when a DPoP proof was sent. */
  dpopJkt?: string
  /** Secret-bearing values created for this request (assertions, Basic blobs, proofs), for the redactor. */
  ephemeralSecrets: string[]
}

/** The key a run proves possession of with DPoP (RFC 9449), generated at run time. */
export interface DpopKey {
  privateKey: CryptoKey
  publicJwk: JWK
  privateJwk: JWK
  thumbprint: string
}

export interface BuildInput {
  target: Target
  /** Where the request goes: the token, introspection or revocation endpoint. */
  endpoint: string
  /** The token endpoint, the default audience of client assertions. */
  tokenEndpoint: string
  issuer?: string
  client: ResolvedClient
  mutate: Mutate | undefined
  /** The parameters of an introspection or revocation request, in place of the grant's. */
  params?: RequestParam[]
  /** Sends no client authentication at all (introspection without credentials). */
  anonymous?: boolean
  dpop?: { key: DpopKey; nonce?: string }
  /** A key pair no client registered, of the given algorithm (memoized per run: RSA keys are slow). */
  unregisteredKey: (alg: string) => Promise<CryptoKey>
  nowMs: number
  randomId: () => string
}

type Presentation = 'basic' | 'basic-unencoded' | 'post' | 'basic-and-post' | 'query' | 'none' | 'assertion'

/** Presentations named as RFC 8414 token_endpoint_auth_methods; `assertion` keeps the client's own. */
const AUTH_METHOD_NAMES: Partial<Record<Presentation, string>> = {
  basic: 'client_secret_basic',
  'basic-unencoded': 'client_secret_basic',
  post: 'client_secret_post',
  query: 'client_secret_post',
  'basic-and-post': 'multiple',
  none: 'none',
}

/** Builds the request, or says why this client cannot make it (the case is then skipped). */
export async function buildRequest(input: BuildInput): Promise<PreparedRequest | { skip: string }> {
  const { target, client, mutate = {} } = input
  const presentation = input.anonymous ? 'none' : choosePresentation(client, mutate.auth)
  if (typeof presentation === 'object') return presentation
  if (mutate.assertion && presentation !== 'assertion')
    return { skip: `client "${client.role}" does not authenticate with a client assertion` }

  const params: RequestParam[] = []
  if (input.params) params.push(...input.params)
  else {
    const grant = grantParams(target, mutate)
    if ('skip' in grant) return grant
    params.push(...grant.params)
  }

  const clientId = mutate.clientId === 'unknown' ? `grantcheck-unknown-${input.randomId()}` : client.clientId
  const wrongSecret = mutate.secret === 'wrong'
  const secret = wrongSecret ? `grantcheck-wrong-${input.randomId()}` : client.secret
  // A deliberately wrong secret is not a secret: show it, so the evidence is complete.
  const secretVar = wrongSecret ? undefined : client.secretVar

  const query: RequestParam[] = []
  const ephemeralSecrets: string[] = []
  let basic: { clientId: string; secret: string; secretVar?: string; encoded: boolean } | undefined
  const secretParam = (): RequestParam => ({ name: 'client_secret', value: secret ?? '', secretVar })
  switch (presentation) {
    case 'basic':
    case 'basic-unencoded':
      basic = { clientId, secret: secret ?? '', secretVar, encoded: presentation === 'basic' }
      break
    case 'post':
      params.push({ name: 'client_id', value: clientId }, secretParam())
      break
    case 'basic-and-post':
      basic = { clientId, secret: secret ?? '', secretVar, encoded: true }
      params.push({ name: 'client_id', value: clientId }, secretParam())
      break
    case 'query':
      query.push({ name: 'client_id', value: clientId }, secretParam())
      break
    case 'none':
      if (!input.anonymous) params.push({ name: 'client_id', value: clientId })
      break
    case 'assertion': {
      const m = mutate.assertion ?? {}
      const assertion = await signClientAssertion(client, clientId, input, m, wrongSecret)
      if (typeof assertion === 'object') return assertion
      ephemeralSecrets.push(assertion)
      if (m.type !== 'missing') params.push({ name: 'client_assertion_type', value: CLIENT_ASSERTION_TYPE })
      params.push({ name: 'client_assertion', value: assertion, secretVar: 'CLIENT_ASSERTION' })
      if (m.clientId === 'other') params.push({ name: 'client_id', value: OTHER_CLIENT_ID })
      break
    }
  }

  applyParamMutations(params, mutate.params)
  const method = mutate.method ?? 'POST'
  const encoding = mutate.body ?? 'form'
  if (method === 'GET') query.push(...params.splice(0))

  const url = new URL(input.endpoint)
  for (const p of query) url.searchParams.append(p.name, p.value)
  const headers: Array<[string, string]> = [['Accept', 'application/json']]
  let body: string | undefined
  if (params.length) {
    if (encoding === 'json') {
      headers.push(['Content-Type', 'application/json'])
      body = JSON.stringify(Object.fromEntries(params.map((p) => [p.name, p.value])))
    } else {
      headers.push(['Content-Type', 'application/x-www-form-urlencoded'])
      body = new URLSearchParams(params.map((p) => [p.name, p.value])).toString()
    }
  }
  for (const [name, value] of Object.entries(mutate.headers ?? {})) headers.push([name, value])

  const plainHeaders = [...headers]
  const displayHeaders = [...headers]
  let dpopJkt: string | undefined
  if (input.dpop) {
    const proof = await dpopProof(input.dpop.key, method, input.endpoint, input, mutate.dpop?.proof ?? 'valid', input.dpop.nonce)
    ephemeralSecrets.push(proof)
    headers.push(['DPoP', proof])
    displayHeaders.push(['DPoP', '[redacted DPoP proof]'])
    plainHeaders.push(['DPoP', '$DPOP_PROOF'])
    dpopJkt = input.dpop.key.thumbprint
  }
  if (basic) {
    const enc = basic.encoded ? formEncode : (s: string) => s
    const credentials = base64(`${enc(basic.clientId)}:${enc(basic.secret)}`)
    headers.push(['Authorization', `Basic ${credentials}`])
    // The secret inside Base64 of "id:secret" is not found by scrubbing the secret alone (the
    // encoding shifts with the prefix), so the whole blob is a secret of its own.
    if (basic.secretVar) ephemeralSecrets.push(credentials)
    displayHeaders.push([
      'Authorization',
      basic.secretVar
        ? `Basic [redacted: base64 of ${basic.encoded ? 'form-urlencoded ' : ''}"${basic.clientId}" ":" $${basic.secretVar}]`
        : headers[headers.length - 1]![1],
    ])
  }

  const displayUrl = new URL(input.endpoint)
  for (const p of query) displayUrl.searchParams.append(p.name, p.secretVar ? `$${p.secretVar}` : p.value)
  const displayParams = params.map((p) => (p.secretVar ? { ...p, value: `$${p.secretVar}` } : p))
  const displayBody =
    body === undefined
      ? undefined
      : encoding === 'json'
        ? JSON.stringify(Object.fromEntries(displayParams.map((p) => [p.name, p.value])))
        : displayParams.map((p) => `${formEncode(p.name)}=${p.secretVar ? p.value : formEncode(p.value)}`).join('&')

  return {
    outgoing: { method, url: url.toString(), headers, body },
    display: { method, url: displayUrl.toString().replace(/%24([A-Za-z_][A-Za-z0-9_]*)/g, '$$$1'), headers: displayHeaders, body: displayBody },
    curl: buildCurl({ method, baseUrl: input.endpoint, headers: plainHeaders, query, params, encoding, basic }),
    requestedScope: params.find((p) => p.name === 'scope')?.value ?? query.find((p) => p.name === 'scope')?.value,
    usedBasic: basic !== undefined,
    authMethod: AUTH_METHOD_NAMES[presentation] ?? client.authMethod,
    clientId,
    dpopJkt,
    ephemeralSecrets,
  }
}

/** The parameters of a client-credentials token request. */
function grantParams(target: Target, mutate: Mutate): { params: RequestParam[] } | { skip: string } {
  const params: RequestParam[] = [{ name: 'grant_type', value: 'client_credentials' }]
  const scope = chooseScope(target, mutate.scope ?? 'default')
  if (typeof scope === 'object') return scope
  if (scope !== undefined) params.push({ name: 'scope', value: scope })
  if (target.audience) params.push({ name: 'audience', value: target.audience })
  if (mutate.resource) {
    // RFC 8707 §2: the value "MUST be an absolute URI" and "MUST NOT include a fragment component".
    const base = target.resource ?? 'https://api.grantcheck.test/'
    params.push({ name: 'resource', value: mutate.resource === 'fragment' ? `${base.replace(/#.*$/, '')}#fragment` : 'api/v1' })
  } else if (target.resource) params.push({ name: 'resource', value: target.resource })
  if (mutate.redirectUri === 'registered') {
    if (!target.redirectUri) return { skip: 'the target names no registered redirect URI (redirectUri)' }
    params.push({ name: 'redirect_uri', value: target.redirectUri })
  } else if (mutate.redirectUri === 'unregistered') {
    params.push({ name: 'redirect_uri', value: UNREGISTERED_REDIRECT_URI })
  }
  return { params }
}

function choosePresentation(client: ResolvedClient, auth: Mutate['auth']): Presentation | { skip: string } {
  const registered: Presentation =
    client.authMethod === 'client_secret_basic' ? 'basic' : client.authMethod === 'client_secret_post' ? 'post' : 'assertion'
  const usesSecret = client.authMethod === 'client_secret_basic' || client.authMethod === 'client_secret_post'
  switch (auth ?? 'registered') {
    case 'registered':
      return registered
    case 'other-than-registered':
      if (!usesSecret) return { skip: `client "${client.role}" uses ${client.authMethod}, not a secret method` }
      return registered === 'basic' ? 'post' : 'basic'
    case 'none':
      return 'none'
    default:
      if (!usesSecret && client.authMethod !== 'client_secret_jwt')
        return { skip: `client "${client.role}" has no client secret (${client.authMethod})` }
      return auth as Presentation
  }
}

/** The scope parameter's value, undefined to omit it, or why the target cannot provide it. */
function chooseScope(target: Target, choice: ScopeChoice): string | undefined | { skip: string } {
  const valid = target.scopes.valid
  switch (choice) {
    case 'default':
      return valid[0]
    case 'omit':
      return undefined
    case 'empty':
      return ''
    case 'unknown':
      return target.scopes.unknown
    case 'all-valid':
      return valid.length > 1 ? valid.join(' ') : { skip: 'the target lists only one valid scope' }
    case 'all-valid-reversed':
      return valid.length > 1 ? [...valid].reverse().join(' ') : { skip: 'the target lists only one valid scope' }
    case 'restricted':
      return target.scopes.restricted ?? { skip: 'the target names no restricted scope (scopes.restricted)' }
    case 'valid-and-restricted':
      return target.scopes.restricted
        ? `${valid[0]} ${target.scopes.restricted}`
        : { skip: 'the target names no restricted scope (scopes.restricted)' }
  }
}

function applyParamMutations(params: RequestParam[], m: Mutate['params']): void {
  if (!m) return
  for (const name of m.remove ?? []) {
    for (let i = params.length - 1; i >= 0; i--) if (params[i]!.name === name) params.splice(i, 1)
  }
  for (const [name, value] of Object.entries(m.set ?? {})) {
    const existing = params.find((p) => p.name === name)
    if (existing) existing.value = value
    else params.push({ name, value })
  }
  for (const name of m.duplicate ?? []) {
    const existing = params.find((p) => p.name === name)
    if (existing) params.push({ ...existing })
  }
}

const PRIVATE_JWK_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi']

/**
 * Signs a client assertion as OpenID Connect Core §9 describes it: `iss` = `sub` = client_id,
 * `aud` = the token endpoint, a fresh `jti`, a short `exp`; or with the deviation the case names.
 *
 * @see [RFC 7523 §3](https://www.rfc-editor.org/rfc/rfc7523.html#section-3)
 */
async function signClientAssertion(
  client: ResolvedClient,
  clientId: string,
  input: BuildInput,
  m: AssertionMutate,
  wrongSecret: boolean,
): Promise<string | { skip: string }> {
  const now = Math.floor(input.nowMs / 1000)
  let aud = input.tokenEndpoint
  if (m.aud === 'wrong') aud = WRONG_AUDIENCE
  if (m.aud === 'issuer') {
    if (!input.issuer) return { skip: 'the target names no issuer to use as the audience' }
    aud = input.issuer
  }
  const iat = m.exp === 'expired' ? now - 600 : now
  const claims: Record<string, unknown> = {
    iss: m.iss === 'other' ? OTHER_CLIENT_ID : clientId,
    sub: m.sub === 'other' ? OTHER_CLIENT_ID : clientId,
    aud,
    jti: input.randomId(),
    iat,
    exp: m.exp === 'expired' ? now - 300 : m.nbf === 'future' ? now + 900 : now + 60,
  }
  if (m.nbf === 'future') claims.nbf = now + 600

  if (m.alg === 'none') return `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify(claims))}.`
  const jwt = new SignJWT(claims)
  let signed: string
  if (client.authMethod === 'client_secret_jwt') {
    if (m.key === 'public-key-as-hmac-secret') return { skip: 'a client_secret_jwt client has no public key' }
    const unregistered = wrongSecret || m.key === 'unregistered'
    const secret = unregistered ? `grantcheck-wrong-${input.randomId()}` : (client.secret ?? '')
    signed = await jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
  } else {
    const jwk = client.privateJwk ?? {}
    const alg = typeof jwk.alg === 'string' ? jwk.alg : jwk.kty === 'EC' ? 'ES256' : 'RS256'
    const header: { alg: string; kid?: string } = { alg }
    if (typeof jwk.kid === 'string') header.kid = jwk.kid
    if (m.key === 'public-key-as-hmac-secret') {
      // Algorithm confusion: an HMAC keyed with the client's public key, which anyone can know.
      const publicJwk = Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_JWK_PARAMS.includes(k)))
      const pem = await exportSPKI((await importJWK(publicJwk, alg, { extractable: true })) as CryptoKey)
      signed = await jwt.setProtectedHeader({ ...header, alg: 'HS256' }).sign(new TextEncoder().encode(pem))
    } else {
      const key = m.key === 'unregistered' || wrongSecret ? await input.unregisteredKey(alg) : await importedKey(jwk, alg)
      signed = await jwt.setProtectedHeader(header).sign(key)
    }
  }
  return m.signature === 'corrupt' ? corruptSignature(signed) : signed
}

/**
 * A client's private key, imported once per key object and algorithm rather than for every
 * assertion: a run signs about twenty. Weakly held, so a finished run's keys are released.
 */
const importedKeys = new WeakMap<Record<string, unknown>, Map<string, Promise<CryptoKey>>>()
function importedKey(jwk: Record<string, unknown>, alg: string): Promise<CryptoKey> {
  let byAlg = importedKeys.get(jwk)
  if (!byAlg) importedKeys.set(jwk, (byAlg = new Map()))
  let key = byAlg.get(alg)
  if (!key) byAlg.set(alg, (key = importJWK(jwk as JWK, alg) as Promise<CryptoKey>))
  return key
}

/** Changes the signature's first characters, keeping it valid base64url of the same length. */
function corruptSignature(jws: string): string {
  const i = jws.lastIndexOf('.') + 1
  const sig = jws.slice(i)
  const flipped = [...sig.slice(0, 8)].map((ch) => (ch === 'A' ? 'B' : 'A')).join('')
  return jws.slice(0, i) + flipped + sig.slice(8)
}

/**
 * A DPoP proof (RFC 9449 §4.2) for this request: typ dpop+jwt, the public key in the header, and
 * jti, htm, htu (without query and fragment) and iat; or with the deviation the case names.
 */
async function dpopProof(
  key: DpopKey,
  method: string,
  url: string,
  input: BuildInput,
  kind: NonNullable<Mutate['dpop']>['proof'],
  nonce?: string,
): Promise<string> {
  const u = new URL(url)
  const htu = `${u.origin}${u.pathname}`
  const claims: Record<string, unknown> = {
    jti: input.randomId(),
    htm: kind === 'wrong-htm' ? (method === 'GET' ? 'POST' : 'GET') : method,
    htu: kind === 'wrong-htu' ? WRONG_AUDIENCE : htu,
    iat: Math.floor(input.nowMs / 1000) - (kind === 'old-iat' ? 3600 : 0),
  }
  if (nonce !== undefined) claims.nonce = nonce
  return new SignJWT(claims)
    .setProtectedHeader({
      typ: kind === 'wrong-typ' ? 'JWT' : 'dpop+jwt',
      alg: 'ES256',
      jwk: kind === 'private-key-in-jwk' ? key.privateJwk : key.publicJwk,
    })
    .sign(key.privateKey)
}

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

function base64(text: string): string {
  let binary = ''
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b)
  return btoa(binary)
}

function b64url(text: string): string {
  return base64(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
