/**
 * The reference authorization server: a client-credentials token endpoint, with metadata, JWKS,
 * introspection and revocation, conformant to RFC 6749, RFC 7523, RFC 8414, RFC 9068 and RFC 9449
 * under the {@link CONFORMANT} policy. Each defect or provider behaviour changes one policy field,
 * so the conformant path reads straight through and every deviation is a named decision.
 *
 * It is an independent oracle for the engine's tests: it imports nothing from the engine, its
 * encoders or its checks. It takes its issuer from the request's origin, so it works on any port.
 *
 * @module
 */
import { Hono, type Context } from 'hono'
import { base64url, calculateJwkThumbprint, compactVerify, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose'
import { BEHAVIOURS, isBehaviour } from './behaviours.ts'
import { FIXTURE_CLIENTS, SERVER_SCOPES, type FixtureClient } from './clients.ts'
import { DEFECTS, isDefect } from './defects.ts'
import { isLawful, LAWFUL } from './lawful.ts'
import { verifyDpopProof } from './dpop.ts'
import { sameKey, subjectDn, x5tS256, type PeerCertificate, type ServerEnv } from './mtls.ts'
import { CONFORMANT, type Policy, type Switch } from './policy.ts'

export interface ReferenceServerOptions {
  /** Defects and provider behaviours to switch on. A Set passed in stays live: a test may change it between two runs. */
  defects?: string[] | Set<string>
  clients?: FixtureClient[]
  /** Called with every token issued and every client assertion received, for leak tests. */
  onSecret?: (value: string) => void
  /** A fixed issuer, for a server reached under another name; by default the request's origin. */
  issuer?: string
  /** A signing key pair to reuse (tests start many servers); by default a fresh one. */
  signingKey?: { publicKey: CryptoKey; privateKey: CryptoKey }
  /** Claims added to every JWT access token, as a tenant's custom claims (a rule or action in Auth0, a claim in Okta). */
  extraClaims?: Record<string, unknown>
  /** The public key registered for the self_signed_tls_client_auth client (its certificate is made at test time). */
  selfSignedClientKey?: JWK
}

/** The switch of a defect, lawful variation or provider behaviour name; undefined for others. */
function switchOf(name: string): Switch | undefined {
  if (isDefect(name)) return DEFECTS[name]
  if (isLawful(name)) return LAWFUL[name]
  if (isBehaviour(name)) return BEHAVIOURS[name]
  return undefined
}

/** The policy of a set of defect, lawful-variation and behaviour names, each overriding its fields of the conformant one. */
export function policyOf(names: Iterable<string>): Policy {
  const policy: Policy = { ...CONFORMANT }
  for (const n of names) {
    const change = switchOf(n)
    if (!change) throw new TypeError(`unknown defect "${n}"; known: ${[...Object.keys(DEFECTS), ...Object.keys(LAWFUL), ...Object.keys(BEHAVIOURS)].join(', ')}`)
    Object.assign(policy, change.set)
  }
  return policy
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const TOKEN_LIFETIME = 3600
/** The query of the token endpoint URL, for the lawful variation that has one (RFC 6749 §3.2). */
const TOKEN_ENDPOINT_QUERY = '?tenant=grantcheck'
/** Parameters RFC 6749 defines for this request: each may appear once (§3.2, erratum 5708). */
const SINGLE_PARAMS = ['grant_type', 'scope', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type']
/** Every parameter the server understands, for a server that refuses the others. */
const KNOWN_PARAMS = [...SINGLE_PARAMS, 'resource', 'audience']
const SECRET_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt']
const TLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth']
/** An origin that is not the server's, for the foreign-endpoints defect. */
const ELSEWHERE = 'https://elsewhere.grantcheck.invalid'
/** The longest lifetime (exp − iat) of a client assertion. */
const MAX_ASSERTION_LIFETIME = 3600
/** An RFC 7638 thumbprint of no key grantcheck holds, for tokens bound to another key. */
const OTHER_JKT = 'Q9XjT6tHnB1l2x3y4z5A6b7C8d9E0f1G2h3I4j5K6lM'
/** A certificate thumbprint of no certificate grantcheck holds, for tokens bound to another certificate. */
const OTHER_X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'

type Json = Record<string, unknown>
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }
/** The cache headers of answers that hold tokens or secrets, as the policy writes them. */
const noStore = (p: Policy) => (p.cacheControl === 'no-store' ? NO_STORE : { 'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate', Pragma: 'no-cache' })
/** RFC 7235 §4.1's example of a header with two challenges, the Basic one second. */
const TWO_CHALLENGES = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="grantcheck-reference"'

/**
 * A compact JWS with its signature made again by `sign` over the same JWS Signing Input (RFC 7515
 * §5.1): how the server signs with a key jose refuses to sign with.
 */
async function resigned(jws: string, sign: (input: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>): Promise<string> {
  const signingInput = jws.slice(0, jws.lastIndexOf('.'))
  return `${signingInput}.${base64url.encode(await sign(new TextEncoder().encode(signingInput)))}`
}

/** The DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]

/**
 * The EMSA-PKCS1-v1_5 encoding of a message with SHA-256, `length` octets long (RFC 8017 §9.2):
 * 0x00 0x01 FF… 0x00 DigestInfo H. RSASSA-PKCS1-v1_5 verification with e = 1 computes s^1 mod n
 * = s and compares it with this encoding, so it is a "signature" anyone can make.
 */
async function encodedMessage(input: Uint8Array<ArrayBuffer>, length: number): Promise<Uint8Array> {
  const t = [...SHA256_DIGEST_INFO, ...new Uint8Array(await crypto.subtle.digest('SHA-256', input))]
  return Uint8Array.from([0x00, 0x01, ...new Uint8Array(length - t.length - 3).fill(0xff), 0x00, ...t])
}

/**
 * The same EC public key with the last bit of y flipped: (x, y ± 1) is on the curve only when
 * 2y ± 1 ≡ 0 mod p, a chance of about 2^-255, so the point is off P-256.
 */
function offCurve(jwk: JWK): JWK {
  const y = base64url.decode(jwk.y!)
  y[y.length - 1]! ^= 1
  return { ...jwk, y: base64url.encode(y) }
}

class OAuthError extends Error {
  readonly status: 400 | 401 | 403 | 405 | 500
  readonly error: string
  readonly description: string
  readonly challenge?: string
  readonly headers?: Record<string, string>
  constructor(status: 400 | 401 | 403 | 405 | 500, error: string, description: string, challenge?: string, headers?: Record<string, string>) {
    super(description)
    this.status = status
    this.error = error
    this.description = description
    this.challenge = challenge
    this.headers = headers
  }
}

export async function createReferenceServer(options: ReferenceServerOptions = {}): Promise<Hono> {
  const defects: Set<string> = options.defects instanceof Set ? options.defects : new Set(options.defects ?? [])
  policyOf(defects) // refuses unknown names before the server starts
  // Read per request, so a live Set changes the server between two runs.
  const policy = () => policyOf(defects)
  const clients = new Map(
    (options.clients ?? FIXTURE_CLIENTS).map((c) => [c.clientId, c.authMethod === 'self_signed_tls_client_auth' && options.selfSignedClientKey ? { ...c, publicJwk: options.selfSignedClientKey } : c]),
  )

  const signing = options.signingKey ?? (await generateKeyPair('RS256', { extractable: true }))
  const publicJwk: JWK = { ...(await exportJWK(signing.publicKey)), alg: 'RS256', use: 'sig' }
  publicJwk.kid = await calculateJwkThumbprint(publicJwk)
  const privateSigningJwk = { ...(await exportJWK(signing.privateKey)), kid: publicJwk.kid }
  /** The kid of each algorithm's key. */
  const KIDS = { RS256: publicJwk.kid, ES256: 'grantcheck-ec-signing', HS256: 'grantcheck-shared-secret' }
  // A key the JWKS does not publish, for tokens signed with an unpublished key.
  const unpublished = generateKeyPair('RS256')
  /** An EC signing key (tokens signed ES256, or published as another key) and an RSA encryption key. */
  const ecSigning = generateKeyPair('ES256', { extractable: true })
  const ecJwk = ecSigning.then(async (ec) => ({ ...(await exportJWK(ec.publicKey)), alg: 'ES256', use: 'sig', kid: 'grantcheck-ec-signing' }))
  const encryptionJwk = generateKeyPair('RSA-OAEP-256', { extractable: true }).then(async (enc) => ({
    ...(await exportJWK(enc.publicKey)),
    alg: 'RSA-OAEP-256',
    use: 'enc',
    kid: 'grantcheck-encryption',
  }))
  /**
   * Keys a lawful JWK Set may hold beside those the server signs with (RFC 7517 §5), made once and
   * only when published: an Ed25519 key without alg (alg is OPTIONAL, RFC 7517 §4.4), and an
   * ML-DSA-44 key of kty AKP, a key type grantcheck does not know (1312 octets: any string of that
   * length is an ML-DSA-44 public key, FIPS 204 §7.2).
   */
  let lawfulOtherKeys: Promise<JWK[]> | undefined
  const otherKeys = () =>
    (lawfulOtherKeys ??= generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true }).then(async (ed) => [
      { ...(await exportJWK(ed.publicKey)), use: 'sig', kid: 'grantcheck-ed25519' },
      { kty: 'AKP', alg: 'ML-DSA-44', pub: base64url.encode(crypto.getRandomValues(new Uint8Array(1312))), use: 'sig', kid: 'grantcheck-ml-dsa' },
    ]))
  /** The shared secret of HS256 tokens: never published, but by the defect that publishes it. */
  const hmacSecret = crypto.getRandomValues(new Uint8Array(32))
  /** A 1024-bit RSA key pair, made once, only for the defect that signs with it (jose makes none under 2048 bits). */
  let weakRsa: Promise<{ pair: CryptoKeyPair; jwk: JWK }> | undefined
  const weakRsaKey = () =>
    (weakRsa ??= (
      crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>
    ).then(async (pair) => {
      const { kty, n, e } = await crypto.subtle.exportKey('jwk', pair.publicKey)
      return { pair, jwk: { kty, n, e, alg: 'RS256', use: 'sig', kid: publicJwk.kid } }
    }))
  /** For the lawful variation that writes an empty grant's scope claim as null, then "", in turn. */
  let emptyGrantsWritten = 0
  const usedJtis = new Set<string>()
  const usedProofJtis = new Set<string>()
  const dpopNonce = randomToken()
  /** Issued access tokens, for introspection and revocation. */
  const issued = new Map<string, { clientId: string; scope: string; exp: number; aud: string | string[]; jkt?: string; x5t?: string; revoked: boolean }>()

  const app = new Hono()
  const issuerOf = (c: Context) => options.issuer ?? new URL(c.req.url).origin

  function metadataDocument(c: Context, document: 'rfc8414' | 'openid'): Json {
    const p = policy()
    const issuer = issuerOf(c)
    const token =
      { issuer: `${issuer}/token`, 'plain-http': `${issuer.replace(/^https:/, 'http:')}/token`, 'with-fragment': `${issuer}/token#token`, relative: '/token' }[p.tokenEndpoint] +
      (p.tokenEndpointQuery ? TOKEN_ENDPOINT_QUERY : '')
    const endpoints = p.endpointsOrigin === 'issuer' ? issuer : ELSEWHERE
    const doc: Json = {
      issuer: document === 'rfc8414' && p.rfc8414Issuer === 'other' ? `${issuer}/other` : issuer,
      token_endpoint: token,
      jwks_uri: `${endpoints}/jwks`,
      introspection_endpoint: `${endpoints}/introspect`,
      revocation_endpoint: `${endpoints}/revoke`,
      grant_types_supported: { client_credentials: ['client_credentials'], 'with-password': ['client_credentials', 'password'], omitted: undefined }[p.grantTypesSupported],
      response_types_supported: p.responseTypesAdvertised ? ['token'] : undefined,
      token_endpoint_auth_methods_supported: [
        ...(p.postMethod === 'every-client-unadvertised' ? SECRET_AUTH_METHODS.filter((m) => m !== 'client_secret_post') : SECRET_AUTH_METHODS),
        ...tlsMethods(p),
      ],
      token_endpoint_auth_signing_alg_values_supported: { listed: ['RS256', 'ES256', 'HS256'], absent: undefined, 'with-none': ['RS256', 'ES256', 'HS256', 'none'] }[p.signingAlgs],
      introspection_endpoint_auth_methods_supported: [...(p.introspectionAssertions === 'accepted' ? SECRET_AUTH_METHODS : SECRET_AUTH_METHODS.filter((m) => !m.endsWith('_jwt'))), ...tlsMethods(p)],
      revocation_endpoint_auth_methods_supported: [...SECRET_AUTH_METHODS, ...tlsMethods(p)],
      dpop_signing_alg_values_supported: ['ES256', 'RS256'],
      scopes_supported: SERVER_SCOPES,
      tls_client_certificate_bound_access_tokens: true,
      // RFC 8705 §5: where a client doing mutual TLS sends its requests; same origin here, under
      // /mtls/, the paths at which the server takes certificates into account.
      mtls_endpoint_aliases: {
        'same-origin': { token_endpoint: `${issuer}/mtls/token`, introspection_endpoint: `${issuer}/mtls/introspect`, revocation_endpoint: `${issuer}/mtls/revoke` },
        relative: { token_endpoint: '/mtls/token', introspection_endpoint: '/mtls/introspect', revocation_endpoint: '/mtls/revoke' },
        none: undefined,
      }[p.mtlsAliases],
    }
    if (p.metadataExtras)
      Object.assign(doc, {
        // More of each list where there is one: a list a defect leaves out stays out.
        grant_types_supported: doc.grant_types_supported && ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', ...(doc.grant_types_supported as string[])],
        response_types_supported: doc.response_types_supported && ['code', 'token'],
        // More algorithms where some are listed: a server that lists none (the defect) still lists none.
        token_endpoint_auth_signing_alg_values_supported: doc.token_endpoint_auth_signing_alg_values_supported && [
          ...(doc.token_endpoint_auth_signing_alg_values_supported as string[]),
          'PS256',
          'EdDSA',
        ],
        code_challenge_methods_supported: ['S256'],
        service_documentation: `${issuer}/docs`,
        ui_locales_supported: ['en', 'de'],
        authorization_response_iss_parameter_supported: true,
      })
    return doc
  }
  const served = (document: 'rfc8414' | 'openid') => (c: Context) => {
    const p = policy()
    if (p.discovery !== 'both' && p.discovery !== `${document}-only`) return c.json({ error: 'not_found' }, 404)
    return c.json(metadataDocument(c, document))
  }
  app.get('/.well-known/oauth-authorization-server', served('rfc8414'))
  app.get('/.well-known/openid-configuration', served('openid'))
  app.get('/jwks', async (c) => {
    const p = policy()
    const signingKey = await publishedRsaKey(p)
    const ec = p.jwksKey === 'ec-off-curve' ? offCurve(await ecJwk) : await ecJwk
    const keys: JWK[] = p.jwksExtraKeys ? [ec, ...(await otherKeys()), await encryptionJwk, signingKey] : p.jwtAlg === 'ES256' ? [signingKey, ec] : [signingKey]
    if (p.jwksKey === 'with-symmetric') keys.push({ kty: 'oct', k: base64url.encode(hmacSecret), alg: 'HS256', use: 'sig', kid: KIDS.HS256 })
    return c.json({ keys })
  })

  /** The RSA signing key as the JWKS publishes it: public, or broken the way a defect asks. */
  async function publishedRsaKey(p: Policy): Promise<JWK> {
    switch (p.jwksKey) {
      case 'private':
        return privateSigningJwk
      case 'rsa-1024':
        return (await weakRsaKey()).jwk
      case 'rsa-exponent-1':
        return { ...publicJwk, e: 'AQ' }
      case 'rsa-even-exponent':
        // 65536: base64url of the octets 01 00 00.
        return { ...publicJwk, e: 'AQAA' }
      case 'alg-mismatch':
        return { ...publicJwk, alg: 'ES256' }
      default:
        return publicJwk
    }
  }

  // RFC 7662 introspection and RFC 7009 revocation, for clients of this server.
  const introspect = (c: Context) =>
    handle(c, async () => {
      const p = policy()
      const form = await readBody(c, p)
      const param = (name: string) => form.get(name) || undefined
      // A caller without any credentials is told nothing, where the policy answers it at all.
      const anonymous = !c.req.header('authorization') && !param('client_secret') && !param('client_assertion') && !peerCertificate(c, p)
      if (p.introspectionAuthorization === 'inactive-without' && anonymous) return c.json({ active: false }, 200, noStore(p))
      // A server may take fewer client authentication methods at introspection than at the token
      // endpoint (RFC 8414 §2 advertises them apart): without assertions there, one is refused.
      if (p.introspectionAssertions === 'refused' && param('client_assertion') !== undefined) throw new OAuthError(400, 'invalid_client', 'client assertions are not accepted at this endpoint')
      const caller = p.introspectionAuthorization === 'none' ? undefined : await authenticate(c, param, p)
      const token = param('token')
      if (!token) throw new OAuthError(400, 'invalid_request', 'token is missing')
      const record = issued.get(token)
      if (!record && p.introspectionUnknownToken === 'error') throw new OAuthError(400, 'invalid_request', 'unknown token')
      const now = Math.floor(Date.now() / 1000)
      const active = !!record && !record.revoked && record.exp > now && p.introspectionActive === 'truthful' && (!caller || caller.clientId === record.clientId)
      if (!active) return c.json({ active: false }, 200, noStore(p))
      const binding = {
        ...(record!.jkt ? { cnf: { jkt: record!.jkt } } : {}),
        ...(record!.x5t && p.mtlsIntrospectionCnf === 'given' ? { cnf: { 'x5t#S256': record!.x5t } } : {}),
      }
      // Every member but active is OPTIONAL (RFC 7662 §2.2); a binding is how the token is used.
      if (p.introspectionMembers === 'active-only') {
        const nulls = p.unsetMembers === 'null' ? { client_id: null, scope: null, token_type: null, exp: null } : {}
        // A server that says less still says what the defects make it say wrongly.
        const untrue = { 'other-client': { client_id: 'someone-else' }, 'other-scope': { scope: 'admin' }, truthful: {} }[p.introspectionDescription]
        return c.json({ active: true, ...nulls, ...untrue, ...binding }, 200, noStore(p))
      }
      return c.json(
        {
          active: true,
          ...(p.extraMembers ? { tenant: 'grantcheck', acr: null } : {}),
          client_id: p.introspectionDescription === 'other-client' ? 'someone-else' : record!.clientId,
          scope: p.introspectionDescription === 'other-scope' ? 'admin' : record!.scope,
          token_type: record!.jkt ? 'DPoP' : 'Bearer',
          exp: record!.exp,
          aud: record!.aud,
          iss: issuerOf(c),
          ...binding,
        },
        200,
        noStore(p),
      )
    })
  const revoke = (c: Context) =>
    handle(c, async () => {
      const p = policy()
      const form = await readBody(c, p)
      const param = (name: string) => form.get(name) || undefined
      const caller = await authenticate(c, param, p)
      const token = param('token')
      if (!token) throw new OAuthError(400, 'invalid_request', 'token is missing')
      const record = issued.get(token)
      if (!record && p.revocationUnknownToken === 'error') throw new OAuthError(400, 'invalid_request', 'unknown token')
      // A token of another client is not revoked, and that is not said (RFC 7009 §2.1).
      if (record && record.clientId === caller.clientId && p.revocation === 'revokes') record.revoked = true
      // "The content of the response body is ignored by the client" (RFC 7009 §2.2).
      return p.revocationBody === 'json' ? c.json({}, 200) : c.body(null, 200)
    })
  const token = (c: Context) => handle(c, async () => tokenResponse(c, await tokenEndpoint(c, policy())))
  // The endpoints, and their mutual-TLS aliases (RFC 8705 §5).
  for (const prefix of ['', '/mtls']) {
    app.post(`${prefix}/introspect`, introspect)
    app.post(`${prefix}/revoke`, revoke)
    app.all(`${prefix}/token`, token)
  }
  app.get('/', (c) => c.text(`grantcheck reference authorization server\nissuer: ${issuerOf(c)}\ndefects: ${[...defects].join(', ') || 'none'}\n`))

  /** The mutual-TLS methods the server supports. */
  function tlsMethods(p: Policy): string[] {
    return p.mtlsSelfSigned === 'unsupported' ? ['tls_client_auth'] : TLS_AUTH_METHODS
  }

  /**
   * The certificate the client presented, where the server takes certificates into account: at
   * the /mtls/ aliases when it advertises them, at every endpoint when it does not.
   */
  function peerCertificate(c: Context, p: Policy): PeerCertificate | undefined {
    const presented = (c.env as ServerEnv | undefined)?.clientCertificate
    if (!presented) return undefined
    return p.mtlsAliases === 'none' || new URL(c.req.url).pathname.startsWith('/mtls/') ? presented : undefined
  }

  /** Runs an endpoint, turning OAuth errors into error responses. */
  async function handle(c: Context, run: () => Promise<Response>): Promise<Response> {
    try {
      return await run()
    } catch (e) {
      if (e instanceof OAuthError) return errorResponse(c, e)
      if (e instanceof URIError) return errorResponse(c, new OAuthError(500, 'server_error', 'malformed percent-encoding'))
      throw e
    }
  }

  async function tokenEndpoint(c: Context, p: Policy): Promise<Json> {
    const url = new URL(c.req.url)
    let form: URLSearchParams
    const fromQuery = p.queryCredentials === 'accepted' && url.searchParams.has('client_secret')
    if (c.req.method === 'GET' && p.getRequests === 'accepted') {
      form = url.searchParams
    } else {
      if (c.req.method !== 'POST') throw new OAuthError(405, 'invalid_request', 'the token endpoint accepts only POST (RFC 6749 §3.2)')
      if (p.queryCredentials === 'refused' && (url.searchParams.has('client_secret') || url.searchParams.has('client_assertion')))
        throw new OAuthError(400, 'invalid_request', 'client credentials must not be sent in the request URI (RFC 6749 §2.3.1)')
      form = await readBody(c, p)
      if (p.queryCredentials === 'accepted') for (const [k, v] of url.searchParams) form.append(k, v)
    }
    if (p.repeatedParameters === 'refused')
      for (const name of SINGLE_PARAMS) if (form.getAll(name).length > 1) throw new OAuthError(400, 'invalid_request', `parameter "${name}" is repeated (RFC 6749 §3.2)`)
    if (p.unknownParameters === 'refused') {
      const unknown = [...form.keys()].find((k) => !KNOWN_PARAMS.includes(k))
      if (unknown) throw new OAuthError(400, 'invalid_request', `unknown parameter "${unknown}"`)
    }
    if ((p.emptyScope === 'invalid_request' || p.emptyScope === 'invalid_scope') && form.get('scope') === '') throw new OAuthError(400, p.emptyScope, 'scope must not be empty')
    // "Parameters sent without a value MUST be treated as if they were omitted" (§3.2).
    const param = (name: string) => form.get(name) || undefined

    if (param('redirect_uri') !== undefined && p.redirectUri === 'server-error') throw new OAuthError(500, 'server_error', 'unexpected redirect_uri')

    const client = await authenticate(c, param, p, fromQuery)
    const grantType = param('grant_type') ?? (p.missingGrantType === 'client_credentials' ? 'client_credentials' : undefined)
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is missing')
    if (grantType !== 'client_credentials') throw new OAuthError(400, p.unknownGrantType, `grant type "${grantType}" is not supported`)
    if (!client.grants.includes('client_credentials') && p.clientGrantTypes === 'enforced') {
      if (p.unauthorizedClient === '401-bearer') throw new OAuthError(401, 'unauthorized_client', 'this client may not use the client credentials grant', 'Bearer realm="grantcheck-reference"')
      throw new OAuthError(400, 'unauthorized_client', 'this client may not use the client credentials grant')
    }

    const scopes = p.emptyScope === 'all-client-scopes' && form.get('scope') === '' ? client.scopes : grantScopes(client, param('scope'), p)
    const resources = form.getAll('resource')
    if (p.resources === 'validated')
      for (const r of resources) {
        // RFC 8707 §2: "MUST be an absolute URI … MUST NOT include a fragment component".
        if (!URL.canParse(r) || r.includes('#')) throw new OAuthError(400, 'invalid_target', `resource '${r}' is not an absolute URI without a fragment`)
      }
    const jkt = await checkDpop(c, p)
    const aud = [...(p.resourceInAud ? resources : []), ...(p.audienceInAud ? form.getAll('audience') : [])]
    return issueToken(c, client, scopes, param('scope'), aud, { jkt, x5t: await certificateBinding(c, p) }, p)
  }

  /** RFC 8705 §3: a token issued to a client that presented a certificate is bound to it. */
  async function certificateBinding(c: Context, p: Policy): Promise<string | undefined> {
    const certificate = peerCertificate(c, p)
    if (!certificate || p.mtlsBinding === 'unbound') return undefined
    return p.mtlsBinding === 'bound' ? x5tS256(certificate.der) : OTHER_X5T
  }

  /** Verifies the DPoP proof, if one was sent; returns the key thumbprint to bind the token to. */
  async function checkDpop(c: Context, p: Policy): Promise<string | undefined> {
    const proof = c.req.header('dpop')
    if (proof === undefined) return undefined
    options.onSecret?.(proof)
    if (proof.includes(',')) throw new OAuthError(400, 'invalid_dpop_proof', 'more than one DPoP header')
    const result = await verifyDpopProof(
      proof,
      { htm: c.req.method, htu: `${issuerOf(c)}/token`, nowSec: Math.floor(Date.now() / 1000), nonce: p.dpopNonce === 'required' ? dpopNonce : undefined },
      usedProofJtis,
      {
        checkHtm: p.dpopHtm === 'checked',
        checkHtu: p.dpopHtu === 'checked',
        checkIat: p.dpopIat === 'checked',
        checkPrivateKey: p.dpopPrivateJwk === 'refused',
        checkTyp: p.dpopTyp === 'checked',
      },
    )
    if ('nonce' in result) throw new OAuthError(400, 'use_dpop_nonce', 'a DPoP nonce is required', undefined, { 'DPoP-Nonce': dpopNonce })
    if ('invalid' in result) throw new OAuthError(400, 'invalid_dpop_proof', result.invalid)
    return p.dpopBinding === 'bound' ? result.jkt : undefined
  }

  /** The form body; a JSON body only where the policy accepts one. */
  async function readBody(c: Context, p: Policy): Promise<URLSearchParams> {
    const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (contentType === 'application/json' && p.jsonBodies === 'accepted') {
      const json = (await c.req.json().catch(() => null)) as Record<string, unknown> | null
      if (!json || typeof json !== 'object') throw new OAuthError(400, 'invalid_request', 'the body is not a JSON object')
      return new URLSearchParams(Object.entries(json).map(([k, v]) => [k, String(v)]))
    }
    if (contentType !== 'application/x-www-form-urlencoded') throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded (RFC 6749 §4.4.2)')
    return new URLSearchParams(await c.req.text())
  }

  async function authenticate(c: Context, param: (n: string) => string | undefined, p: Policy, fromQuery = false): Promise<FixtureClient> {
    const header = c.req.header('authorization')
    const basic = header && /^basic /i.test(header) ? header.slice(6).trim() : undefined
    const bodySecret = param('client_secret')
    const assertion = param('client_assertion')
    const used = [basic !== undefined, bodySecret !== undefined, assertion !== undefined].filter(Boolean).length
    // A client registered for mutual TLS authenticates with its certificate (RFC 8705 §2); any
    // other credentials beside it are a second method (RFC 6749 §2.3).
    const claimed = param('client_id') ?? (basic !== undefined ? decodeBasic(basic)?.[0] : undefined)
    const tlsClient = claimed !== undefined ? clients.get(claimed) : undefined
    if (tlsClient && TLS_AUTH_METHODS.includes(tlsClient.authMethod)) {
      if (used > 0 && p.mtlsWithOtherMethod === 'refused')
        throw new OAuthError(400, 'invalid_request', 'more than one client authentication method: this client authenticates with its certificate (RFC 6749 section 2.3)')
      return authenticateWithCertificate(c, tlsClient, p)
    }
    if (used > 1 && p.twoMethods !== 'accepted') {
      const challenge = p.twoMethods === 'invalid_request-401' ? 'Basic realm="grantcheck-reference"' : undefined
      throw new OAuthError(challenge ? 401 : 400, 'invalid_request', 'more than one client authentication method (RFC 6749 §2.3, §5.2)', challenge)
    }

    // A client that tried Basic gets 401 with a Basic challenge (RFC 6749 §5.2); the others get
    // 400, which §5.2 allows and which needs no challenge.
    const refuse = (description: string): never => {
      const error = p.clientAuthErrorCode
      if ((basic !== undefined && p.failedBasic === '401-challenge') || (basic === undefined && p.failedBody === '401-challenge'))
        throw new OAuthError(401, error, description, p.basicChallenge === 'two-challenges' ? TWO_CHALLENGES : 'Basic realm="grantcheck-reference", charset="UTF-8"')
      throw new OAuthError(400, error, description)
    }

    let clientId: string | undefined
    let secret: string | undefined
    let method: string
    if (basic !== undefined) {
      if (p.basic === 'refused') return refuse('HTTP Basic authentication is not supported')
      const decoded = decodeBasic(basic)
      if (!decoded) return refuse('malformed Basic credentials')
      const decode = (s: string) => {
        if (p.basicDecoding === 'none') return s
        if (p.basicDecoding === 'strict') decodeURIComponent(s.replace(/\+/g, ' ')) // throws on bad %-escapes
        return formDecode(s)
      }
      clientId = decode(decoded[0])
      secret = decode(decoded[1])
      method = 'client_secret_basic'
    } else if (assertion !== undefined) {
      const type = param('client_assertion_type')
      if (type !== ASSERTION_TYPE && !(type === undefined && p.assertionType === 'optional')) throw new OAuthError(400, 'invalid_request', 'client_assertion_type is missing or unsupported')
      options.onSecret?.(assertion)
      return verifyAssertion(c, assertion, param('client_id'), refuse, p)
    } else {
      clientId = param('client_id')
      secret = bodySecret
      method = 'client_secret_post'
    }
    const client = clientId !== undefined ? clients.get(clientId) : undefined
    if (!client) {
      if (p.unknownClients === 'accepted' && clientId) return { ...FIXTURE_CLIENTS[0]!, clientId }
      if (p.errorDialect === 'entra') throw new OAuthError(400, 'unauthorized_client', aadsts(700016, 'Application with identifier was not found in the directory.'))
      return refuse('unknown client')
    }
    if (secret === undefined) {
      if (p.missingSecret === 'accepted') return client
      return refuse('no client authentication included')
    }
    if (client.secret === undefined) return refuse('this client does not authenticate with a secret')
    if (method === 'client_secret_post' && p.postMethod === 'refused') return refuse('client_secret_post is not supported')
    if (p.secrets === 'verified' && !timingSafeEqual(secret, client.secret)) {
      if (p.wrongSecret === 'access_denied-401') throw new OAuthError(401, 'access_denied', 'Unauthorized')
      if (p.wrongSecret === 'unauthorized_client-401') throw new OAuthError(401, 'unauthorized_client', 'Invalid client or Invalid client credentials')
      if (p.errorDialect === 'entra') return refuse(aadsts(7000215, 'Invalid client secret provided.'))
      return refuse('client authentication failed')
    }
    // Basic works for every client with a password (RFC 6749 §2.3.1 MUST); the body method only
    // for clients registered for it.
    if (method === 'client_secret_post' && client.authMethod !== 'client_secret_post' && p.postMethod !== 'every-client-unadvertised' && !fromQuery)
      return refuse('this client is not registered for client_secret_post')
    return client
  }

  /**
   * RFC 8705 §2: the certificate of the TLS handshake authenticates the client: for
   * tls_client_auth, one that chains to a trusted CA and has the registered subject (§2.1); for
   * self_signed_tls_client_auth, one whose public key is registered for the client (§2.2). A
   * failure is invalid_client (RFC 6749 §5.2).
   */
  async function authenticateWithCertificate(c: Context, client: FixtureClient, p: Policy): Promise<FixtureClient> {
    // 400: a 401 would need a challenge, and no HTTP authentication scheme names a certificate.
    const refuse = (description: string): never => {
      throw new OAuthError(400, p.clientAuthErrorCode, description)
    }
    const certificate = peerCertificate(c, p)
    if (!certificate) return p.mtlsMissingCertificate === 'accepted' ? client : refuse('no client certificate was presented')
    if (client.authMethod === 'tls_client_auth') {
      if (p.mtlsCertificates === 'any') return client
      if (!certificate.chainVerified) return refuse('the client certificate is not issued by a trusted CA')
      if (subjectDn(certificate.subject, p.mtlsSubjectOrder) !== client.tlsSubjectDn) return refuse('the client certificate is not the registered one (subject)')
      return client
    }
    if (p.mtlsSelfSigned === 'unsupported') return refuse('self_signed_tls_client_auth is not supported')
    if (p.mtlsSelfSigned === 'key-checked' && !sameKey(client.publicJwk, certificate.publicJwk)) return refuse("the client certificate's key is not registered for this client")
    return client
  }

  /**
   * Verifies a client assertion step by step (RFC 7523 §3 and OpenID Connect Core §9), each step
   * one that a policy field can switch off.
   */
  async function verifyAssertion(c: Context, assertion: string, bodyClientId: string | undefined, refuse: (d: string) => never, p: Policy): Promise<FixtureClient> {
    let header: ReturnType<typeof decodeProtectedHeader>
    let claims: Record<string, unknown>
    try {
      header = decodeProtectedHeader(assertion)
      claims = JSON.parse(new TextDecoder().decode(base64urlDecode(assertion.split('.')[1] ?? ''))) as Record<string, unknown>
    } catch {
      return refuse('the client assertion is not a JWT')
    }
    // OpenID Connect Core §9 makes iss the client_id; fall back to sub to find the client.
    const client = clients.get(String(claims.iss)) ?? clients.get(String(claims.sub))
    if (!client) return refuse('unknown client in the assertion')
    if (client.authMethod === 'client_secret_jwt' && p.clientSecretJwt === 'refused') return refuse('client_secret_jwt is not supported')
    if (bodyClientId !== undefined && bodyClientId !== client.clientId && p.assertionBodyClientId === 'checked') return refuse('client_id does not match the assertion (RFC 7521 section 4.2)')

    if (header.alg === 'none') {
      if (p.unsignedAssertions === 'refused') return refuse('the client assertion is not signed')
    } else if (p.assertionSignatures === 'verified') {
      const key = await assertionKey(client, String(header.alg), p)
      if (typeof key === 'string') return refuse(key)
      try {
        await compactVerify(assertion, key)
      } catch {
        return refuse('the client assertion signature does not verify')
      }
    }

    const issuer = issuerOf(c)
    const now = Math.floor(Date.now() / 1000)
    if (!audienceAccepted(claims.aud, issuer, `${issuer}${new URL(c.req.url).pathname}`, tokenEndpointOf(issuer, p), p)) {
      if (p.assertionAudienceRefusal === 'empty-403') throw new OAuthError(403, '', '')
      return refuse('the assertion is not addressed to this server')
    }
    // Media type names are case-insensitive, and "application/" may be left out (RFC 7515 §4.1.9).
    const written = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined
    const typ = p.assertionTyp === 'short-form-only' ? written : written?.replace(/^application\//, '')
    // rfc7523bis §4: clients SHOULD type assertions, servers rejecting untyped ones is NOT
    // RECOMMENDED; a JWT typed for another purpose is not a client assertion (RFC 8725 §3.11).
    if (p.assertionTyp === 'required' && typ !== 'client-authentication+jwt') return refuse('typ must be client-authentication+jwt')
    if (p.assertionTyp === 'untyped-only' && typ !== undefined && typ !== 'jwt') return refuse(`typ ${typ} is not accepted`)
    if (p.assertionTyp === 'short-form-only' && typ !== undefined && typ !== 'jwt' && typ !== 'client-authentication+jwt') return refuse(`typ ${typ} is not accepted`)
    if (p.assertionTyp === 'rfc7523bis' && typ !== undefined && typ !== 'jwt' && typ !== 'client-authentication+jwt') return refuse(`a JWT of type ${typ} is not a client assertion`)
    if (p.assertionIssuer === 'checked' && claims.iss !== client.clientId) return refuse('iss must be the client_id')
    if (p.assertionSubject === 'checked' && claims.sub !== client.clientId) return refuse('sub must be the client_id')
    if (typeof claims.exp !== 'number') return refuse('exp is missing')
    // Expired at exp itself ("on or after which", RFC 7519 §4.1.4), give or take the leeway.
    const leeway = p.assertionClockLeeway
    if (p.assertionExpiry === 'checked' && claims.exp <= now - leeway) return refuse('the assertion has expired')
    if (p.assertionNotBefore === 'checked' && typeof claims.nbf === 'number' && claims.nbf > now + leeway) return refuse('the assertion is not valid yet')
    if (p.assertionIatAndLifetime === 'bounded') {
      if (typeof claims.iat === 'number' && claims.iat > now + leeway) return refuse('the assertion was issued in the future')
      if (claims.exp - (typeof claims.iat === 'number' ? claims.iat : now) > MAX_ASSERTION_LIFETIME) return refuse('the assertion lives longer than an hour')
    }
    if (typeof claims.jti !== 'string') return refuse('jti is missing')
    // A jti is spent everywhere once used (the default), or, for the defect, only where it was used.
    const jtiKey = p.assertionReplayScope === 'global' ? claims.jti : `${new URL(c.req.url).pathname} ${claims.jti}`
    if (usedJtis.has(jtiKey) && p.assertionReplay === 'refused') return refuse('the assertion was already used (jti replay)')
    usedJtis.add(jtiKey)
    return client
  }

  /** The key a client's assertions verify with, for the algorithm they claim; or why there is none. */
  async function assertionKey(client: FixtureClient, alg: string, p: Policy): Promise<CryptoKey | Uint8Array | string> {
    if (client.authMethod === 'client_secret_jwt') return alg === 'HS256' && client.secret ? new TextEncoder().encode(client.secret) : 'alg must be HS256'
    if (client.authMethod !== 'private_key_jwt' || !client.publicJwk) return 'this client does not authenticate with a JWT'
    const keyAlg = client.publicJwk.kty === 'EC' ? 'ES256' : 'RS256'
    if (keyAlg === 'ES256' && p.ecKeys === 'refused') return 'only RSA keys are supported'
    if (keyAlg === 'RS256' && p.rsaKeys === 'refused') return 'only EC keys are supported'
    if (alg === 'HS256' && p.hmacWithPublicKey === 'verified-with-public-key') {
      // The classic confusion: the registered public key, as PEM, used as an HMAC secret.
      return new TextEncoder().encode(await exportSPKI((await importJWK(client.publicJwk, keyAlg, { extractable: true })) as CryptoKey))
    }
    if (alg !== keyAlg) return `alg must be ${keyAlg}`
    return (await importJWK(client.publicJwk, keyAlg)) as CryptoKey
  }

  function grantScopes(client: FixtureClient, requested: string | undefined, p: Policy): string[] {
    if (requested === undefined) {
      if (p.missingScope === 'invalid_request') throw new OAuthError(400, 'invalid_request', 'scope is required')
      if (p.errorDialect === 'entra') throw new OAuthError(400, 'invalid_request', aadsts(90014, "The required field 'scope' is missing from the credential."))
      if (p.missingScope === 'invalid_scope') throw new OAuthError(400, 'invalid_scope', 'scope is required: there is no default scope')
      return p.missingScope === 'empty-grant' ? [] : client.defaultScopes
    }
    let wanted = requested.split(' ').filter(Boolean)
    if (p.scopeGrant === 'default') return client.defaultScopes
    if (p.unknownScopes === 'granted') return wanted
    if (p.unknownScopes === 'ignored') {
      // Scopes not activated for the client are dropped (a server that grants restricted scopes,
      // the defect, keeps those it defines); what is left goes on as any request, so that the
      // other switches still apply to it.
      const kept = wanted.filter((s) => (p.scopeGrant === 'with-restricted' ? SERVER_SCOPES : client.scopes).includes(s))
      if (!kept.length) return client.defaultScopes
      wanted = kept
    }
    const unknown = wanted.filter((s) => !SERVER_SCOPES.includes(s))
    if (unknown.length && p.deniedScopes === 'access_denied-403') throw new OAuthError(403, 'access_denied', `Client has not been granted scopes: ${unknown.join(' ')}`)
    if (unknown.length) {
      if (p.unknownScopes === 'server-error') throw new OAuthError(500, 'server_error', 'scope lookup failed')
      throw new OAuthError(400, 'invalid_scope', `unknown scope: ${unknown.join(' ')}`)
    }
    const inOrder = wanted.join(' ') === [...wanted].sort((a, b) => SERVER_SCOPES.indexOf(a) - SERVER_SCOPES.indexOf(b)).join(' ')
    if (p.scopeOrder === 'configured' && !inOrder) throw new OAuthError(400, 'invalid_scope', 'scopes must be listed in the configured order')
    if (p.validScopes === 'refused') throw new OAuthError(400, 'invalid_scope', `scope "${wanted.join(' ')}" is not available`)
    if (p.scopeGrant === 'first-only' || (p.scopeGrant === 'order-dependent' && !inOrder)) return wanted.slice(0, 1)
    if (p.scopeGrant === 'with-restricted') return wanted
    // Scopes that exist but are not allowed for this client are dropped (RFC 6749 §3.3 allows
    // partial grants); the response then echoes the narrower scope.
    const granted = wanted.filter((s) => client.scopes.includes(s))
    const denied = wanted.filter((s) => !client.scopes.includes(s))
    if (denied.length && p.deniedScopes === 'invalid_scope') throw new OAuthError(400, 'invalid_scope', `scopes not allowed for this client: ${denied.join(' ')}`)
    if (denied.length && p.deniedScopes === 'access_denied-403') throw new OAuthError(403, 'access_denied', `Client has not been granted scopes: ${denied.join(' ')}`)
    if (denied.length && p.deniedScopes === 'access_denied')
      throw new OAuthError(
        400,
        'access_denied',
        granted.length ? `Some of the requested scopes were denied by the policy. Denied scopes: ${denied.join(', ')}` : 'Policy evaluation succeeded, but all the requested scopes were rejected.',
      )
    if (!granted.length) throw new OAuthError(400, 'invalid_scope', 'none of the requested scopes is allowed for this client')
    return granted
  }

  async function issueToken(
    c: Context,
    client: FixtureClient,
    scopes: string[],
    requested: string | undefined,
    resources: string[],
    binding: { jkt?: string; x5t?: string },
    p: Policy,
  ): Promise<Json> {
    const { jkt, x5t } = binding
    const issuer = issuerOf(c)
    const now = Math.floor(Date.now() / 1000)
    const scope = scopes.join(' ')
    let accessToken: string
    if (p.tokenFormat === 'short-opaque') accessToken = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('')
    else if (p.tokenFormat === 'uuid') accessToken = crypto.randomUUID()
    else if (p.tokenFormat === 'opaque') accessToken = randomToken()
    else if (p.tokenFormat === 'not-vschar') accessToken = `${randomToken()}\u00e9\u2028`
    else accessToken = await accessTokenJwt(issuer, client, scopes, resources, binding, now, p)
    const body: Json = {
      access_token: accessToken,
      token_type: p.tokenType === 'mac' ? 'mac' : jkt ? 'DPoP' : p.tokenType,
    }
    if (p.expiresIn !== 'absent') body.expires_in = p.expiresIn === 'string' ? String(TOKEN_LIFETIME) : TOKEN_LIFETIME
    const identical = requested !== undefined && sameScopes(requested, scope)
    // What the server grants silently (the defects that narrow or swap a grant unannounced) has no scope member.
    const silent = p.scopeGrant === 'default' || p.scopeGrant === 'first-only'
    const echoed = { always: true, 'when-different': !identical, 'when-identical': identical, never: false }[p.scopeMember]
    // An empty grant has no scope-token to write (RFC 6749 §3.3: 1*scope-token), so no member.
    if (echoed && !silent && scopes.length) body.scope = (p.scopeEchoOrder === 'reversed' ? [...scopes].reverse() : scopes).join(' ')
    if (p.refreshToken) body.refresh_token = randomToken()
    if (p.unsetMembers === 'null') for (const name of ['expires_in', 'scope', 'refresh_token']) body[name] ??= null
    // An object inside an object may reuse a name: only a name twice in one object is a duplicate.
    if (p.extraMembers) Object.assign(body, { ext_expires_in: TOKEN_LIFETIME, 'not-before-policy': 0, issued_at: now, trace: { id: crypto.randomUUID(), parent: { id: 'root' } } })
    issued.set(accessToken, { clientId: client.clientId, scope, exp: now + TOKEN_LIFETIME, aud: resources.length ? resources : 'https://api.grantcheck.test', jkt, x5t, revoked: false })
    options.onSecret?.(accessToken)
    if (typeof body.refresh_token === 'string') options.onSecret?.(body.refresh_token)
    return body
  }

  /** An RFC 9068 access token, or a provider's dialect of one. */
  async function accessTokenJwt(issuer: string, client: FixtureClient, scopes: string[], resources: string[], binding: { jkt?: string; x5t?: string }, now: number, p: Policy): Promise<string> {
    const { jkt, x5t } = binding
    const lifetime = { 'expires-in': TOKEN_LIFETIME, day: 86_400, expired: -3600 }[p.jwtLifetime]
    const subject = p.jwtClient === 'other' ? 'someone-else' : client.clientId
    const claims: Json = { client_id: subject, scope: scopes.length ? scopes.join(' ') : emptyGrantClaim(p), ...options.extraClaims }
    if (claims.scope === undefined) delete claims.scope
    if (p.clientIdDialects) Object.assign(claims, { cid: subject, azp: subject, appid: subject })
    if (p.jwtClientIdAndJti === 'missing') {
      delete claims.client_id
      claims.uti = randomToken()
    }
    if (p.jwtScopeClaim === 'absent') delete claims.scope
    if (p.jwtScopeClaim === 'client-scopes') claims.scope = client.scopes.join(' ')
    // Another key's thumbprint: the token is bound, but not to the key that proved possession.
    if (jkt && p.dpopCnf !== 'absent') claims.cnf = { jkt: p.dpopCnf === 'proof-key' ? jkt : OTHER_JKT }
    if (x5t) claims.cnf = { ...(claims.cnf as Json | undefined), 'x5t#S256': x5t }
    const dialect = p.claimsDialect
    if (dialect === 'okta') {
      claims.cid = claims.client_id
      claims.scp = scopes
      delete claims.client_id
      delete claims.scope
    }
    if (dialect === 'auth0') claims.gty = 'client-credentials'
    if (dialect === 'auth0' || dialect === 'entra' || dialect === 'keycloak') {
      claims.azp = claims.client_id
      delete claims.client_id
    }
    if (dialect === 'entra') {
      claims.roles = scopes
      delete claims.scope
    }
    const typ = dialect === 'okta' || dialect === 'cognito' ? undefined : dialect === 'rfc9068' ? p.jwtTyp : 'JWT'
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: p.jwtAlg, ...(typ ? { typ } : {}), ...(p.jwtKid === 'published' ? { kid: KIDS[p.jwtAlg] } : p.jwtKid === 'unknown' ? { kid: 'grantcheck-unpublished-key' } : {}) })
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
    if (p.jwtIssuer !== 'absent') jwt = jwt.setIssuer(p.jwtIssuer === 'other' ? 'https://issuer.grantcheck.invalid' : issuer)
    if (p.jwtSub === 'client') jwt = jwt.setSubject(dialect === 'auth0' ? `${client.clientId}@clients` : subject)
    if (p.jwtNbf) jwt = jwt.setNotBefore(now)
    const aud = resources.length > 1 || p.audForm === 'array' ? (resources.length ? resources : ['https://api.grantcheck.test']) : (resources[0] ?? 'https://api.grantcheck.test')
    if (dialect !== 'cognito') jwt = jwt.setAudience(aud)
    // Without jti the token still needs a unique value (as Entra's "uti"): identical tokens would
    // make revocation of one revoke the other.
    if (p.jwtClientIdAndJti === 'present') jwt = jwt.setJti(randomToken())
    if (p.jwtAlg === 'HS256') return jwt.sign(hmacSecret)
    if (p.jwtAlg === 'ES256') return jwt.sign((await ecSigning).privateKey)
    if (p.jwksKey === 'rsa-1024') {
      const { pair } = await weakRsaKey()
      return resigned(await jwt.sign(signing.privateKey), async (input) => new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, input)))
    }
    if (p.jwksKey === 'rsa-exponent-1') return resigned(await jwt.sign(signing.privateKey), (input) => encodedMessage(input, base64url.decode(publicJwk.n!).length))
    return jwt.sign(p.jwtSigningKey === 'published' ? signing.privateKey : (await unpublished).privateKey)
  }

  /** An empty grant's scope claim: none, "", null, or null and "" in turn, as the policy says. */
  function emptyGrantClaim(p: Policy): string | null | undefined {
    const form = p.emptyGrantAs === 'alternating' ? (emptyGrantsWritten++ % 2 ? 'empty-string' : 'null') : p.emptyGrantAs
    return { absent: undefined, 'empty-string': '', null: null }[form]
  }

  function tokenResponse(c: Context, body: Json): Response {
    const p = policy()
    const headers: Record<string, string> = { 'Content-Type': p.tokenContentType }
    if (p.cacheHeaders) Object.assign(headers, noStore(p))
    let text = JSON.stringify(body)
    // Written twice by hand: JSON.stringify cannot. A parser keeps the second of each.
    if (p.duplicateMembers === 'access_token') text = `{"access_token":${JSON.stringify(body.access_token)},${text.slice(1)}`
    if (p.duplicateMembers === 'extension') text = `{"grantcheck_trace":"first","grantcheck_trace":"second",${text.slice(1)}`
    if (p.tokenEncoding === 'utf-16le') {
      headers['Content-Type'] = 'application/json; charset=utf-16'
      const bytes = new Uint8Array(2 + 2 * text.length)
      bytes.set([0xff, 0xfe])
      for (let i = 0; i < text.length; i++) bytes.set([text.charCodeAt(i) & 0xff, text.charCodeAt(i) >> 8], 2 + 2 * i)
      return c.body(bytes.buffer, p.tokenStatus, headers)
    }
    return c.body(text, p.tokenStatus, headers)
  }

  function errorResponse(c: Context, e: OAuthError): Response {
    const p = policy()
    const headers: Record<string, string> = { ...noStore(p), ...e.headers }
    if (e.challenge && e.status === 401) headers['WWW-Authenticate'] = e.challenge
    if (e.status === 405) headers.Allow = 'POST'
    // An error without a code is a bare refusal: the status alone, no body (a malformed answer).
    if (!e.error) return c.body(null, e.status, headers)
    const status = p.errorStatus === 403 && e.status === 400 && e.error !== 'invalid_client' ? 403 : e.status
    // error_description allows only %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §5.2): no '"', no '\\',
    // nothing outside ASCII, so the messages' quotes and section signs are rewritten.
    // (Entra's dialect keeps its CR LF trace lines: that is the behaviour it emulates.)
    const plain =
      p.errorDialect === 'entra'
        ? e.description
        : e.description
            .replace(/["\\]/g, "'")
            .replace(/§\s?/g, 'section ')
            .replace(/[^\x20-\x7e]/g, '?')
    const description = p.errorDescription === 'with-quote' ? `${plain} ("see the docs")` : plain
    if (p.errorFormat === 'text') return c.body(`${e.error}: ${description}`, status, { ...headers, 'Content-Type': 'text/plain' })
    const codes = /^AADSTS(\d+)/.exec(description)
    const body: Json = { error: e.error, ...(p.errorDescription === 'absent' ? {} : { error_description: description }), ...(codes ? { error_codes: [Number(codes[1])] } : {}) }
    if (p.errorUri) body.error_uri = `https://docs.grantcheck.test/errors/${e.error}`
    if (p.unsetMembers === 'null') for (const name of ['error_description', 'error_uri']) body[name] ??= null
    if (p.extraMembers) Object.assign(body, { trace_id: crypto.randomUUID(), timestamp: new Date().toISOString() })
    return c.body(JSON.stringify(body), status, {
      ...headers,
      'Content-Type': 'application/json',
    })
  }

  return app
}

/** An Entra-style error_description: the AADSTS code, then trace lines separated by CR LF. */
function aadsts(code: number, text: string): string {
  return `AADSTS${code}: ${text}\r\nTrace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`
}

/** The token endpoint URL as the metadata advertises it (its query included), for audiences. */
function tokenEndpointOf(issuer: string, p: Policy): string {
  return `${issuer}/token${p.tokenEndpointQuery ? TOKEN_ENDPOINT_QUERY : ''}`
}

/**
 * Whether an assertion's aud names this server under the audience policy. `endpoint` is the URL
 * the assertion was sent to.
 */
function audienceAccepted(aud: unknown, issuer: string, endpoint: string, tokenEndpoint: string, p: Policy): boolean {
  const list = (Array.isArray(aud) ? aud : [aud]).map(String)
  switch (p.assertionAudiences) {
    case 'rfc7523bis':
      return aud === issuer || (Array.isArray(aud) && aud.length === 1 && aud[0] === issuer)
    case 'string-only':
      return aud === issuer
    case 'extra-members':
      return list.includes(issuer)
    case 'legacy':
      return list.some((a) => a === issuer || a === tokenEndpoint || a === endpoint)
    case 'normalized':
      return list.length === 1 && sameUrl(list[0]!, issuer)
    case 'token-endpoint-only':
      return list.includes(tokenEndpoint)
    case 'any':
      return true
  }
}

/** The same URL to a URL parser: case, a default port and a trailing slash ignored. */
function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => (URL.canParse(u) ? new URL(u).href.replace(/\/$/, '') : u)
  return norm(a) === norm(b)
}

function decodeBasic(value: string): [string, string] | undefined {
  let text: string
  try {
    const bin = atob(value)
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)))
  } catch {
    return undefined
  }
  const i = text.indexOf(':')
  return i < 0 ? undefined : [text.slice(0, i), text.slice(i + 1)]
}

/** application/x-www-form-urlencoded decoding of one value: '+' is a space. */
function formDecode(value: string): string {
  return new URLSearchParams(`v=${value.replace(/&/g, '%26').replace(/=/g, '%3D')}`).get('v') ?? ''
}

function sameScopes(a: string, b: string): boolean {
  const x = new Set(a.split(' ').filter(Boolean))
  const y = new Set(b.split(' ').filter(Boolean))
  return x.size === y.size && [...x].every((s) => y.has(s))
}

function base64urlDecode(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (ch) => ch.charCodeAt(0))
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  let diff = x.length ^ y.length
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0)
  return diff === 0
}
