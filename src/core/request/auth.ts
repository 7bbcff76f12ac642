/**
 * Client authentication: how the client presents its credentials, by default the way it is
 * registered, otherwise the way the case says (Basic encoded or raw, the body, both, the query,
 * none, a client assertion).
 *
 * @see [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1)
 * @see [RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2)
 * @module
 */
import type { CryptoKey } from 'jose'
import { authSpec, type JwtSpec, type RequestSpec } from '../../schema/request.ts'
import { literal, renderText, type RefScope, type Text } from '../refs.ts'
import type { ResolvedClient } from '../resolve.ts'
import { TLS_AUTH_METHODS } from '../../schema/target.ts'
import type { AssertionDefaults } from './build.ts'
import { algOf, publicKeyAsHmac, publicPart, signJwt, type KeyChoices } from './jwt.ts'
import { param, type Param } from './params.ts'

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface ClientPresentation {
  /** The RFC 8414 token_endpoint_auth_method presented, or `none`, `multiple`. */
  authMethod: string
  /** The client identifier presented (possibly a deliberately unknown one). */
  clientId: string
  basic?: { clientId: Text; secret: Text; encoded: boolean }
  body: Param[]
  query: Param[]
  /** A client assertion made for this request (a secret for the redactor). */
  assertion?: string
}

export interface AuthContext {
  scope: RefScope
  client: ResolvedClient
  /** The default audience of client assertions. */
  /** The audience and type of the client assertion, asked for only when one is made. */
  assertionDefaults: () => Promise<AssertionDefaults>
  nowSec: number
  randomId: () => string
  unregisteredKey: (alg: string) => Promise<CryptoKey>
}

const SECRET_METHODS = ['client_secret_basic', 'client_secret_post']

/** Presents the client as the request says, or says why this client cannot (the case is skipped). */
export async function presentClient(request: RequestSpec, ctx: AuthContext): Promise<ClientPresentation | { skip: string }> {
  const { client, scope } = ctx
  const spec = authSpec(request.auth)
  let method: string = spec.method
  const tls = (TLS_AUTH_METHODS as readonly string[]).includes(client.authMethod)
  const registered = client.authMethod === 'client_secret_basic' ? 'basic' : client.authMethod === 'client_secret_post' ? 'body' : tls ? 'certificate' : 'assertion'
  if (method === 'registered') method = registered
  else if (method === 'other-than-registered') {
    if (!SECRET_METHODS.includes(client.authMethod)) return { skip: `client "${client.role}" uses ${client.authMethod}, not a secret method` }
    method = registered === 'basic' ? 'body' : 'basic'
  }
  if (spec.assertion && method !== 'assertion') return { skip: `client "${client.role}" does not authenticate with a client assertion` }

  const id = spec.clientId === undefined ? literal(client.clientId) : renderText(spec.clientId, scope)
  if ('missing' in id) return { skip: id.missing }
  const out: ClientPresentation = { authMethod: method, clientId: id.value, body: [], query: [] }
  if (method === 'none') return { ...out, authMethod: 'none' }
  // RFC 8705 §2: the certificate authenticates; the client still identifies itself by client_id.
  if (method === 'certificate') return { ...out, authMethod: client.authMethod, body: [{ name: 'client_id', text: id }] }
  if (method === 'assertion') return presentAssertion(spec.assertion, id, ctx, out)

  let secret: Text | { missing: string }
  if (spec.secret !== undefined) secret = renderText(spec.secret, scope)
  else if (client.secret === undefined) return { skip: `client "${client.role}" has no client secret (${client.authMethod})` }
  else secret = { value: client.secret, segments: [{ secret: client.secret, var: client.secretVar }] }
  if ('missing' in secret) return { skip: secret.missing }
  const bodyCredentials = [
    { name: 'client_id', text: id },
    { name: 'client_secret', text: secret },
  ]
  switch (method) {
    case 'basic':
      return { ...out, authMethod: 'client_secret_basic', basic: { clientId: id, secret, encoded: spec.encoding === 'form' } }
    case 'body':
      return { ...out, authMethod: 'client_secret_post', body: bodyCredentials }
    case 'query':
      return { ...out, authMethod: 'client_secret_post', query: bodyCredentials }
    default:
      return { ...out, authMethod: 'multiple', basic: { clientId: id, secret, encoded: spec.encoding === 'form' }, body: bodyCredentials }
  }
}

/**
 * A client assertion as OpenID Connect Core §9 describes it (iss = sub = client_id, aud = the
 * audience the run chose, a fresh jti, a short exp), then the case's patch.
 *
 * @see [RFC 7523 §3](https://www.rfc-editor.org/rfc/rfc7523.html#section-3)
 */
async function presentAssertion(spec: JwtSpec | undefined, id: Text, ctx: AuthContext, out: ClientPresentation): Promise<ClientPresentation | { skip: string }> {
  const keys = keyChoices(ctx)
  if ('skip' in keys) return keys
  const defaults = await ctx.assertionDefaults()
  const claims = { iss: id.value, sub: id.value, aud: defaults.aud, jti: ctx.randomId(), iat: ctx.nowSec, exp: ctx.nowSec + 60 }
  const header: Record<string, unknown> = { alg: '', ...(defaults.typ ? { typ: defaults.typ } : {}), ...(typeof keys.facts.kid === 'string' ? { kid: keys.facts.kid } : {}) }
  const assertion = await signJwt({ header, claims, spec, keys, scope: ctx.scope, unregisteredKey: ctx.unregisteredKey })
  if (typeof assertion !== 'string') return assertion
  const hmac = keys.registered.kind === 'hmac'
  return {
    ...out,
    authMethod: hmac ? 'client_secret_jwt' : 'private_key_jwt',
    assertion,
    body: [param('client_assertion_type', CLIENT_ASSERTION_TYPE), { name: 'client_assertion', text: { value: assertion, segments: [{ secret: assertion, var: 'CLIENT_ASSERTION' }] } }],
  }
}

/** The keys a client can sign its assertion with: its private key, or its secret as HMAC key. */
function keyChoices(ctx: AuthContext): KeyChoices | { skip: string } {
  const { client } = ctx
  const jwk = client.privateJwk
  if (jwk) {
    const alg = algOf(jwk)
    return {
      registered: { kind: 'jwk', jwk, alg },
      unregistered: { kind: 'stand-in', alg },
      publicKeyAsHmac: () => publicKeyAsHmac(jwk),
      facts: { publicJwk: publicPart(jwk), privateJwk: jwk, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined },
    }
  }
  if (client.secret === undefined) return { skip: `client "${client.role}" has neither a private key nor a secret to sign an assertion with` }
  return {
    registered: { kind: 'hmac', secret: new TextEncoder().encode(client.secret), alg: 'HS256' },
    unregistered: { kind: 'hmac', secret: new TextEncoder().encode(`grantcheck-wrong-${ctx.randomId()}`), alg: 'HS256' },
    publicKeyAsHmac: async () => ({ skip: `client "${client.role}" authenticates with a secret: it has no public key` }),
    facts: {},
  }
}
