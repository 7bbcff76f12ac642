/**
 * Builds the token request of a case: the spec-correct default for its client, changed only by
 * the case's explicit `mutate` block.
 *
 * The default is what RFC 6749 §4.4.2 asks for: a POST with an
 * `application/x-www-form-urlencoded` body carrying `grant_type=client_credentials`, and the
 * client authenticated by its registered method, Basic credentials form-urlencoded before Base64
 * (§2.3.1).
 *
 * @see [RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4.2)
 * @see [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1)
 * @module
 */
import { importJWK, SignJWT } from 'jose'
import type { Mutate, ScopeChoice } from '../schema/suite.ts'
import type { Target } from '../schema/target.ts'
import { buildCurl, type RequestParam } from './curl.ts'
import type { OutgoingRequest } from './http.ts'
import type { ResolvedClient } from './resolve.ts'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** A redirect URI no client can have registered (.invalid is reserved, RFC 2606). */
export const UNREGISTERED_REDIRECT_URI = 'https://client.grantcheck.invalid/callback'

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
  /** Secret-bearing values created for this request (assertions, Basic blobs), for the redactor. */
  ephemeralSecrets: string[]
}

export interface BuildInput {
  target: Target
  tokenEndpoint: string
  client: ResolvedClient
  mutate: Mutate | undefined
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
export async function buildTokenRequest(input: BuildInput): Promise<PreparedRequest | { skip: string }> {
  const { target, client, mutate = {} } = input
  const presentation = choosePresentation(client, mutate.auth)
  if (typeof presentation === 'object') return presentation

  const params: RequestParam[] = [{ name: 'grant_type', value: 'client_credentials' }]
  const scope = chooseScope(target, mutate.scope ?? 'default')
  if (typeof scope === 'object') return scope
  if (scope !== undefined) params.push({ name: 'scope', value: scope })
  if (target.audience) params.push({ name: 'audience', value: target.audience })
  if (target.resource) params.push({ name: 'resource', value: target.resource })
  if (mutate.redirectUri === 'registered') {
    if (!target.redirectUri) return { skip: 'the target names no registered redirect URI (redirectUri)' }
    params.push({ name: 'redirect_uri', value: target.redirectUri })
  } else if (mutate.redirectUri === 'unregistered') {
    params.push({ name: 'redirect_uri', value: UNREGISTERED_REDIRECT_URI })
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
      params.push({ name: 'client_id', value: clientId })
      break
    case 'assertion': {
      const assertion = await signClientAssertion(client, clientId, input, wrongSecret)
      ephemeralSecrets.push(assertion)
      params.push(
        { name: 'client_assertion_type', value: CLIENT_ASSERTION_TYPE },
        { name: 'client_assertion', value: assertion, secretVar: 'CLIENT_ASSERTION' },
      )
      break
    }
  }

  applyParamMutations(params, mutate.params)
  const method = mutate.method ?? 'POST'
  const encoding = mutate.body ?? 'form'
  if (method === 'GET') query.push(...params.splice(0))

  const url = new URL(input.tokenEndpoint)
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

  const displayUrl = new URL(input.tokenEndpoint)
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
    curl: buildCurl({ method, baseUrl: input.tokenEndpoint, headers: plainHeaders, query, params, encoding, basic }),
    requestedScope: params.find((p) => p.name === 'scope')?.value ?? query.find((p) => p.name === 'scope')?.value,
    usedBasic: basic !== undefined,
    authMethod: AUTH_METHOD_NAMES[presentation] ?? client.authMethod,
    clientId,
    ephemeralSecrets,
  }
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

/**
 * Signs a client assertion as OpenID Connect Core §9 describes it: `iss` = `sub` = client_id,
 * `aud` = the token endpoint, a fresh `jti`, a short `exp`.
 *
 * @see [RFC 7523 §3](https://www.rfc-editor.org/rfc/rfc7523.html#section-3)
 */
async function signClientAssertion(
  client: ResolvedClient,
  clientId: string,
  input: BuildInput,
  wrongKey: boolean,
): Promise<string> {
  const nowSec = Math.floor(input.nowMs / 1000)
  const jwt = new SignJWT({})
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(input.tokenEndpoint)
    .setJti(input.randomId())
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + 60)
  if (client.authMethod === 'client_secret_jwt') {
    const secret = wrongKey ? `grantcheck-wrong-${input.randomId()}` : (client.secret ?? '')
    return jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
  }
  const jwk = client.privateJwk ?? {}
  const alg = typeof jwk.alg === 'string' ? jwk.alg : jwk.kty === 'EC' ? 'ES256' : 'RS256'
  const key = await importJWK(jwk, alg)
  const header: { alg: string; kid?: string } = { alg }
  if (typeof jwk.kid === 'string') header.kid = jwk.kid
  return jwt.setProtectedHeader(header).sign(key)
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
