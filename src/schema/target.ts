/**
 * The target file: which authorization server to test and with which clients.
 *
 * Secrets are references (`{ "env": "VAR" }`), never values; a literal string is accepted only
 * when every endpoint of the target is on a loopback host, where it cannot be a real tenant's.
 *
 * @module
 */
import * as z from 'zod'

/** The rules that judge JWT client authentication (see the target's clientAuthProfile). */
export const CLIENT_AUTH_PROFILES = ['oidc', 'rfc7523', 'rfc7523bis', 'fapi2'] as const
export type ClientAuthProfile = (typeof CLIENT_AUTH_PROFILES)[number]

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const
/** The mutual-TLS client authentication methods (RFC 8705 §2). */
export const TLS_AUTH_METHODS: readonly AuthMethod[] = ['tls_client_auth', 'self_signed_tls_client_auth']
export type AuthMethod = (typeof AUTH_METHODS)[number]

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `{ "env": "VAR" }`, or a literal string (loopback targets only, checked below). */
const SecretRefSchema = z.union([
  z.strictObject({
    env: z.string().regex(ENV_NAME, 'must be an environment variable name such as OKTA_SECRET'),
  }),
  z.string().min(1),
])
export type SecretRef = z.infer<typeof SecretRefSchema>

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).refine((u) => !u.includes('#'), 'must not contain a fragment (RFC 6749 §3.2)')

const ClientSchema = z
  .strictObject({
    clientId: z.string().min(1),
    authMethod: z.enum(AUTH_METHODS),
    clientSecret: SecretRefSchema.optional(),
    privateJwk: SecretRefSchema.optional().describe('private JWK (JSON) for private_key_jwt, usually { "env": "VAR" } holding the JSON text'),
    certificate: SecretRefSchema.optional().describe(
      'the client certificate (PEM) presented in mutual TLS (RFC 8705): required for tls_client_auth and self_signed_tls_client_auth, and binds the tokens of any client that has one',
    ),
    certificateKey: SecretRefSchema.optional().describe('the certificate\'s private key (PEM), { "env": "VAR" }'),
    certificateBinding: z
      .string()
      .regex(ENV_NAME)
      .optional()
      .describe(
        "in the Worker: the mtls_certificates binding that presents this client's certificate, instead of certificateKey (certificate may still give the PEM, so that token bindings can be compared with it)",
      ),
    description: z.string().optional(),
    $comment: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const tls = (TLS_AUTH_METHODS as readonly string[]).includes(c.authMethod)
    const needsSecret = c.authMethod !== 'private_key_jwt' && !tls
    if (needsSecret && c.clientSecret === undefined) ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `required for ${c.authMethod}` })
    if (c.authMethod === 'private_key_jwt' && c.privateJwk === undefined) ctx.addIssue({ code: 'custom', path: ['privateJwk'], message: 'required for private_key_jwt' })
    if (tls && c.certificate === undefined && c.certificateBinding === undefined)
      ctx.addIssue({ code: 'custom', path: ['certificate'], message: `required for ${c.authMethod} (or certificateBinding, in the Worker)` })
    // With a binding, the certificate alone (no key) lets the report compare token bindings to it.
    if (c.certificate !== undefined && c.certificateKey === undefined && c.certificateBinding === undefined)
      ctx.addIssue({ code: 'custom', path: ['certificateKey'], message: 'required with certificate' })
    if (c.certificateKey !== undefined && c.certificate === undefined) ctx.addIssue({ code: 'custom', path: ['certificate'], message: 'required with certificateKey' })
  })

const LimitsSchema = z.strictObject({
  concurrency: z.int().min(1).max(32).default(4),
  timeoutMs: z.int().min(100).max(120_000).default(10_000).describe('per request, body included'),
  connectTimeoutMs: z.int().min(100).max(120_000).default(3_000).describe('to open a connection, TLS handshake included (the CLI; fetch, in the Worker and Deno, cannot tell connecting from waiting)'),
  runDeadlineMs: z.int().min(1_000).max(3_600_000).default(600_000).describe('for the whole run of a target; later cases are errored'),
  unresponsiveAfter: z
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe('timeouts or connection failures in a row after which the target is stopped and its remaining cases errored (one, before the target has answered anything)'),
  throttledAfter: z.int().min(1).max(100).default(3).describe('HTTP 429 answers in a row after which the target is stopped'),
  maxResponseBytes: z.int().min(1024).max(10_000_000).default(1_000_000),
  maxJsonDepth: z.int().min(2).max(1_000).default(64),
  maxJwksKeys: z.int().min(1).max(10_000).default(100),
  requestsPerSecond: z.number().min(0.1).max(10_000).optional().describe('default: 10 for hosted targets, unlimited on loopback'),
  maxRetries: z.int().min(0).max(5).default(2).describe('retries after HTTP 429'),
  maxRetryAfterMs: z.int().min(0).max(120_000).default(10_000).describe('the longest Retry-After wait honoured'),
})

export const TargetSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).max(120),
    issuer: httpUrl.optional().describe('discovery via RFC 8414, then OpenID Connect Discovery'),
    tokenEndpoint: httpUrl.optional(),
    jwksUri: httpUrl.optional(),
    introspectionEndpoint: httpUrl.optional().describe('RFC 7662; discovered from metadata when absent'),
    revocationEndpoint: httpUrl.optional().describe('RFC 7009; discovered from metadata when absent'),
    allowedOrigins: z
      .array(httpUrl)
      .optional()
      .describe(
        "origins, besides those of the issuer and the endpoints named here, that may receive this target's credentials and tokens: an endpoint the metadata advertises on any other origin is not called",
      ),
    clientAuthProfile: z
      .enum(CLIENT_AUTH_PROFILES)
      .default('oidc')
      .describe(
        'which rules judge JWT client assertions: OpenID Connect Core §9 (iss = sub = client_id, single-use jti), plain RFC 7523, draft-ietf-oauth-rfc7523bis (the issuer as sole audience), or FAPI 2.0 (OpenID Connect, with the issuer as the sole audience, as a string, and its clock rules for iat and nbf); every report shows it',
      ),
    assertionAudience: z
      .union([z.enum(['issuer', 'issuer-array', 'token-endpoint']), httpUrl])
      .optional()
      .describe(
        'the audience grantcheck puts in the client assertions of every case that does not test the audience: by default the first the server accepts of the issuer, then the token endpoint URL (one probe request each, recorded in the report)',
      ),
    profile: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default('rfc6749')
      .describe('rfc6749, oauth21 (drops the Pragma requirement), or a provider profile in profiles/ (okta, auth0, entra, cognito, keycloak)'),
    $comment: z.string().optional().describe('free text, ignored (init writes the provider setup steps here)'),
    clients: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'role names are camelCase words'), ClientSchema).refine((c) => Object.keys(c).length > 0, 'at least one client role is needed'),
    scopes: z
      .strictObject({
        valid: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'not a scope-token (RFC 6749 §3.3)')).min(1),
        restricted: z.string().min(1).optional().describe('exists, but is not granted to the primary client'),
        unknown: z.string().min(1).default('grantcheck-unknown-scope'),
      })
      .describe('scopes the primary client may request'),
    audience: z.string().min(1).optional().describe("Auth0's audience parameter, sent by default"),
    resource: httpUrl.optional().describe('RFC 8707 resource indicator, sent by default'),
    redirectUri: z.url().optional().describe('a redirect URI registered for the primary client, if it has one'),
    caCertificates: SecretRefSchema.optional().describe(
      "certificates (PEM) the server's TLS certificate may chain to besides the public ones: a private CA (the CLI and Deno; the Worker trusts public CAs only)",
    ),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
  })
  .superRefine((t, ctx) => {
    if (!t.issuer && !t.tokenEndpoint) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'give "issuer" or "tokenEndpoint"' })
    const endpoints = [t.issuer, t.tokenEndpoint, t.jwksUri].filter((u): u is string => !!u)
    if (endpoints.every(isLoopbackUrl)) return
    for (const [role, client] of Object.entries(t.clients)) {
      for (const field of ['clientSecret', 'privateJwk', 'certificate', 'certificateKey'] as const) {
        if (typeof client[field] === 'string')
          ctx.addIssue({
            code: 'custom',
            path: ['clients', role, field],
            message: 'a literal secret is accepted only for loopback hosts; use { "env": "VAR" }',
          })
      }
    }
  })
export type Target = z.infer<typeof TargetSchema>
export type TargetInput = z.input<typeof TargetSchema>

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts where a literal secret is harmless. */
export function isLoopbackUrl(url: string): boolean {
  // An unparsable URL is reported by the field's own check; here it is simply not loopback.
  if (!URL.canParse(url)) return false
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** The origins a target's credentials may go to: those of the URLs it names, and those it allows. */
export function namedOrigins(t: Pick<Target, 'issuer' | 'tokenEndpoint' | 'jwksUri' | 'introspectionEndpoint' | 'revocationEndpoint' | 'allowedOrigins'>): string[] {
  const urls = [t.issuer, t.tokenEndpoint, t.jwksUri, t.introspectionEndpoint, t.revocationEndpoint, ...(t.allowedOrigins ?? [])]
  return [...new Set(urls.filter((u): u is string => !!u && URL.canParse(u)).map((u) => new URL(u).origin))]
}
