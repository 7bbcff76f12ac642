/**
 * Builds a request from its description: the spec-correct default for the endpoint and client,
 * changed only where the case says so.
 *
 * A token request is what RFC 6749 §4.4.2 asks for: a POST with an
 * `application/x-www-form-urlencoded` body carrying `grant_type=client_credentials`, the client
 * authenticated by its registered method (Basic credentials form-urlencoded before Base64,
 * §2.3.1; client assertions as OpenID Connect Core §9 describes them). Introspection and
 * revocation requests start with no parameters and the same client authentication.
 *
 * @see [RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4.2)
 * @module
 */
import type { CryptoKey, JWK } from 'jose'
import type { RequestSpec } from '../../schema/request.ts'
import type { OutgoingRequest } from '../http.ts'
import { literal, renderText, type RefScope, type Text } from '../refs.ts'
import type { ResolvedClient } from '../resolve.ts'
import { presentClient } from './auth.ts'
import { certificateLabel, certificateThumbprint as thumbprintOf, chooseCertificate, type CertificateKind } from './certificate.ts'
import { bodyOf, bodyText, CONTENT_TYPES } from './body.ts'
import { basicShellArgs, basicShown, curlOf, displayOfRequest, type HeaderEntry, type RequestParts } from './describe.ts'
import { base64, formEncode } from './encoding.ts'
import { publicKeyAsHmac, publicPart, signJwt } from './jwt.ts'
import { applyParamOps, defaultParams, type Param } from './params.ts'

export interface PreparedRequest {
  /** What is sent. Holds secrets: never leaves the engine. */
  outgoing: OutgoingRequest
  /** The same request with every secret replaced by a label: safe to report (and the certificate named, never its key). */
  display: Omit<OutgoingRequest, 'tls'> & { certificate?: string }
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
  /** The x5t#S256 of the client certificate presented in mutual TLS ('unknown' when only a Worker binding knows it). */
  certificateThumbprint?: string
  /** True when the request carried the access token the case obtained first. */
  sentIssuedToken: boolean
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

export interface BuildContext {
  /** What references resolve to (the request's client is added here). */
  scope: RefScope
  client: ResolvedClient
  dpop?: { key: DpopKey; nonce?: string }
  /** A key pair no client registered, of the given algorithm (memoized: RSA keys are slow). */
  unregisteredKey: (alg: string) => Promise<CryptoKey>
  /** A fresh random identifier (jti values). */
  randomId: () => string
  /** The audience (and explicit type) of client assertions, as audience.ts chose them; by default the token endpoint URL, untyped. */
  assertionDefaults?: () => Promise<AssertionDefaults>
  /** How the transport can present client certificates; none when undefined. */
  presentable?: readonly CertificateKind[]
}

/** What every client assertion carries unless its case says otherwise. */
export interface AssertionDefaults {
  aud: string | string[]
  /** The header's typ; none when undefined. */
  typ?: string
}

/** Builds the request, or says why the target cannot make it (the case is then skipped). */
export async function buildRequest(spec: RequestSpec, ctx: BuildContext): Promise<PreparedRequest | { skip: string }> {
  const scope: RefScope = { ...ctx.scope, client: ctx.client }
  const render = (value: string) => renderText(value, scope)
  const chosen = chooseCertificate(spec, ctx.client, scope.resolved, ctx.presentable)
  if ('skip' in chosen) return chosen
  const { certificate } = chosen
  const alias = certificate ? scope.mtlsEndpoints?.[spec.endpoint] : undefined
  if (typeof alias === 'object') return { skip: `${alias.refused}; a request presenting a client certificate goes there (RFC 8705 §5)` }
  const endpoint = alias ?? scope.endpoints[spec.endpoint]
  if (endpoint === undefined) return { skip: scope.refused?.[spec.endpoint] ?? `the target has no ${spec.endpoint} endpoint` }

  const params = defaultParams(spec.endpoint, scope.resolved.target)
  const presented = await presentClient(spec, {
    scope,
    client: ctx.client,
    assertionDefaults: ctx.assertionDefaults ?? (async () => ({ aud: scope.endpoints.token ?? endpoint })),
    nowSec: scope.nowSec,
    randomId: ctx.randomId,
    unregisteredKey: ctx.unregisteredKey,
  })
  if ('skip' in presented) return presented
  params.push(...presented.body)
  const query: Param[] = [...presented.query]
  const missing = applyParamOps(params, spec.params, render)
  if (missing) return { skip: missing.missing }
  if (spec.method === 'GET') query.push(...params.splice(0))

  let raw: Text | undefined
  if (spec.body?.raw !== undefined) {
    const r = render(spec.body.raw)
    if ('missing' in r) return { skip: r.missing }
    raw = r
  }
  const body = bodyOf(params, spec.body, raw)
  const ephemeralSecrets: string[] = presented.assertion ? [presented.assertion] : []

  const headers: HeaderEntry[] = [{ name: 'Accept', text: literal('application/json') }]
  if (body) headers.push({ name: 'Content-Type', text: literal(CONTENT_TYPES[body.encoding]) })
  let dpopJkt: string | undefined
  if (spec.dpop && ctx.dpop) {
    const proof = await dpopProof(spec, endpoint, scope, ctx)
    if (typeof proof !== 'string') return proof
    ephemeralSecrets.push(proof)
    headers.push({ name: 'DPoP', text: { value: proof, segments: [{ secret: proof, var: 'DPOP_PROOF' }] }, shown: '[redacted DPoP proof]' })
    dpopJkt = ctx.dpop.key.thumbprint
  }
  if (presented.basic) {
    const b = presented.basic
    const enc = b.encoded ? (s: string) => formEncode(s) : (s: string) => s
    const value = `Basic ${base64(`${enc(b.clientId.value)}:${enc(b.secret.value)}`)}`
    // The secret inside Base64 of "id:secret" is not found by scrubbing the secret alone (the
    // encoding shifts with the prefix), so the whole blob is a secret of its own.
    const secret = b.clientId.segments.some((s) => typeof s !== 'string') || b.secret.segments.some((s) => typeof s !== 'string')
    if (secret) ephemeralSecrets.push(value.slice('Basic '.length))
    headers.push({ name: 'Authorization', text: literal(value), shown: basicShown(b, value), shell: basicShellArgs(b) })
  }
  const headerMissing = applyHeaderOps(headers, spec.headers, render)
  if (headerMissing) return { skip: headerMissing.missing }

  const url = query.length ? `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query.map((p) => `${formEncode(p.name)}=${formEncode(p.text.value)}`).join('&')}` : endpoint
  const parts: RequestParts = { method: spec.method, endpoint, query, headers, body, certificate }
  const certificateThumbprint = certificate && ((await thumbprintOf(certificate)) ?? 'unknown')
  const all = [...params, ...query]
  return {
    outgoing: { method: spec.method, url, headers: headers.map((h) => [h.name, h.text.value]), body: body && bodyText(body), ...(certificate ? { tls: { certificate } } : {}) },
    display: { ...displayOfRequest(parts), ...(certificate ? { certificate: certificateLabel(certificate, certificateThumbprint === 'unknown' ? undefined : certificateThumbprint) } : {}) },
    curl: curlOf(parts),
    requestedScope: all.find((p) => p.name === 'scope')?.text.value,
    usedBasic: headers.some((h) => h.name.toLowerCase() === 'authorization' && /^basic /i.test(h.text.value)),
    authMethod: presented.authMethod,
    clientId: presented.clientId,
    dpopJkt,
    ...(certificateThumbprint ? { certificateThumbprint } : {}),
    sentIssuedToken: [...all.map((p) => p.text), ...headers.map((h) => h.text)].some((t) => t.segments.some((s) => typeof s !== 'string' && s.var === 'ACCESS_TOKEN')),
    ephemeralSecrets,
  }
}

/** Headers are replaced, not repeated: a case that sets Content-Type sends one Content-Type. */
function applyHeaderOps(headers: HeaderEntry[], ops: RequestSpec['headers'], render: (v: string) => Text | { missing: string }): { missing: string } | undefined {
  if (!ops) return undefined
  const drop = (name: string) => {
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.name.toLowerCase() === name.toLowerCase()) headers.splice(i, 1)
  }
  for (const name of ops.remove ?? []) drop(name)
  for (const [name, value] of Object.entries(ops.set ?? {})) {
    const text = render(value)
    if ('missing' in text) return text
    const at = headers.findIndex((h) => h.name.toLowerCase() === name.toLowerCase())
    drop(name)
    headers.splice(at < 0 ? headers.length : at, 0, { name, text })
  }
  return undefined
}

/**
 * A DPoP proof (RFC 9449 §4.2) for this request: typ dpop+jwt, the public key in the header, and
 * jti, htm, htu (without query and fragment), iat and the server's nonce; then the case's patch.
 */
async function dpopProof(spec: RequestSpec, endpoint: string, scope: RefScope, ctx: BuildContext): Promise<string | { skip: string }> {
  const { key, nonce } = ctx.dpop!
  const u = new URL(endpoint)
  const claims: Record<string, unknown> = { jti: ctx.randomId(), htm: spec.method, htu: `${u.origin}${u.pathname}`, iat: scope.nowSec }
  if (nonce !== undefined) claims.nonce = nonce
  const jwk = key.privateJwk as Record<string, unknown>
  return signJwt({
    header: { typ: 'dpop+jwt', alg: '', jwk: key.publicJwk },
    claims,
    spec: spec.dpop,
    keys: {
      registered: { kind: 'jwk', jwk, alg: 'ES256' },
      unregistered: { kind: 'stand-in', alg: 'ES256' },
      publicKeyAsHmac: () => publicKeyAsHmac(jwk),
      facts: { publicJwk: publicPart(jwk), privateJwk: jwk, thumbprint: key.thumbprint },
    },
    scope,
    unregisteredKey: ctx.unregisteredKey,
  })
}
