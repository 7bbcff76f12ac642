/**
 * The request as data: which endpoint, which client and how it authenticates, the parameters,
 * the body encoding, the headers, the method, and the signed JWTs (client assertion, DPoP proof)
 * it carries. Every part starts from the specification's default and changes only what a case
 * says, so a case reads as its deviation.
 *
 * Strings may hold `${references}` to the target (see refs.ts).
 *
 * @module
 */
import * as z from 'zod'

/** Client roles are camelCase words, as in the target file. */
export const ROLE_NAME = /^[a-zA-Z][a-zA-Z0-9]*$/
const roleName = z.string().regex(ROLE_NAME, 'role names are camelCase words, as in the target file')
const paramName = z.string().regex(/^[A-Za-z0-9_.[\]-]+$/, 'not a parameter name')
/** A header field name is an RFC 9110 token. */
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a header field name (RFC 9110 §5.1)')

/** Text that may hold `${references}`; numbers and booleans are written as text. */
const TextSchema = z.union([z.string(), z.number(), z.boolean()]).transform(String).describe('text; ${reference} inserts a value of the target, e.g. ${scopes.valid[0]}')

/** Any JSON value; its strings may hold `${references}` (a string that is one reference keeps its type). */
export const ValueSchema = z.json().describe('any JSON value; strings may hold ${references}, and a string that is exactly one reference takes its type')

/** A JSON Merge Patch (RFC 7396) of one level: members to set, null to remove one. */
const patch = (what: string) => z.record(z.string(), ValueSchema).describe(`${what}: members set over the default; null removes a member (RFC 7396 JSON Merge Patch)`)

const JWT_KEYS = ['registered', 'unregistered', 'public-key-as-hmac', 'none'] as const

/**
 * A signed JWT as data, one sublanguage for client assertions and DPoP proofs (and later JWT
 * kinds): the default header and claims of its kind, patched; the key it is signed with; whether
 * its signature is kept intact.
 */
const JwtSchema = z.strictObject({
  header: patch('header').optional(),
  claims: patch('claims').optional(),
  key: z
    .enum(JWT_KEYS)
    .default('registered')
    .describe(
      'registered: the client\'s registered key (its secret for client_secret_jwt; the run\'s DPoP key for proofs); unregistered: a fresh key of the same kind nobody registered; public-key-as-hmac: HS256 keyed with the public key as PEM (algorithm confusion); none: unsigned, alg "none"',
    ),
  signature: z.enum(['valid', 'corrupted']).default('valid').describe("corrupted: the signature's first characters changed"),
})
export type JwtSpec = z.infer<typeof JwtSchema>

const AUTH_METHODS = ['registered', 'other-than-registered', 'basic', 'body', 'both', 'query', 'none', 'assertion'] as const

const AuthObjectSchema = z.strictObject({
  method: z
    .enum(AUTH_METHODS)
    .default('registered')
    .describe(
      "registered: the client's own method; other-than-registered: Basic for a body client, the body for a Basic client; basic; body (client_id and client_secret parameters); both (Basic and body); query (in the URL); none (nothing, not even client_id); assertion (a client assertion, RFC 7523)",
    ),
  encoding: z.enum(['form', 'raw']).default('form').describe('Basic only: form-urlencode the client id and secret before Base64 (RFC 6749 §2.3.1), or send them raw'),
  clientId: TextSchema.optional().describe("the client identifier presented, instead of the client's"),
  secret: TextSchema.optional().describe("the secret presented, instead of the client's (shown in reports unless it references one)"),
  assertion: JwtSchema.optional().describe('the client assertion: iss = sub = client_id, aud = the token endpoint, a fresh jti, exp a minute ahead, then this patch'),
})

/** How the client authenticates: a method name, or the method with its details. */
const AuthSchema = z.union([z.enum(AUTH_METHODS), AuthObjectSchema]).describe('how the client authenticates (default: registered)')
export type AuthSpec = z.output<typeof AuthObjectSchema>

const ParamsSchema = z
  .strictObject({
    remove: z.array(paramName).optional().describe('remove every occurrence'),
    set: z.record(paramName, TextSchema).optional().describe('replace the parameter where it is (one occurrence), or append it'),
    add: z.record(paramName, TextSchema).optional().describe('append, even when already present'),
    duplicate: z.array(paramName).optional().describe('append a copy of the parameter'),
    order: z.array(paramName).optional().describe('these first, in this order; the others after them, as they were'),
  })
  .describe(
    'changes to the default parameters (token endpoint: grant_type=client_credentials, scope=${scopes.valid[0]}, audience and resource when the target sets them; applied in the order remove, set, add, duplicate, order',
  )

const BodySchema = z
  .strictObject({
    encoding: z.enum(['form', 'json', 'raw']).default('form').describe('form: application/x-www-form-urlencoded (RFC 6749 Appendix B); json: one JSON object; raw: the text given'),
    spaceAs: z.enum(['+', '%20']).default('+').describe('form: how a space is written (+ is the form encoding; %20 is also accepted by decoders)'),
    raw: TextSchema.optional().describe('with encoding raw: the body, references inserted as they are'),
  })
  .refine((b) => (b.encoding === 'raw') === (b.raw !== undefined), { message: 'give "raw" exactly when the encoding is raw', path: ['raw'] })

const HeadersSchema = z.strictObject({
  set: z.record(headerName, TextSchema).optional().describe('replace the header (case-insensitive) or add it'),
  remove: z.array(headerName).optional().describe('remove the header, whatever its case'),
})

/**
 * The client certificate presented in mutual TLS (RFC 8705): the request client's own when it has
 * one, none, or another client's. A request that presents one goes to the endpoint's
 * mtls_endpoint_aliases entry when the metadata has a usable one (RFC 8705 §5).
 */
const CertificateSchema = z
  .union([z.enum(['own', 'none']), z.strictObject({ of: roleName.describe('the client whose certificate is presented') })])
  .describe("the client certificate presented in mutual TLS (RFC 8705): own (the request client's, when it has one; the default), none, or { of: role }")

const HTTP_METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'] as const
const REQUEST_ENDPOINTS = ['token', 'introspection', 'revocation'] as const

export const RequestSchema = z.strictObject({
  client: roleName.default('primary').describe('a client role of the target'),
  endpoint: z.enum(REQUEST_ENDPOINTS).default('token').describe('an endpoint the target names or its metadata advertises'),
  method: z.enum(HTTP_METHODS).default('POST').describe('GET sends the parameters in the query'),
  auth: AuthSchema.default('registered'),
  params: ParamsSchema.optional(),
  body: BodySchema.optional(),
  headers: HeadersSchema.optional().describe('after the defaults (Accept, Content-Type, Authorization, DPoP)'),
  dpop: JwtSchema.optional().describe("send a DPoP proof (RFC 9449 §4.2): typ dpop+jwt, the run's ES256 public key in jwk, jti, htm, htu, iat (and the server's nonce), then this patch"),
  certificate: CertificateSchema.default('own'),
})
export type RequestSpec = z.output<typeof RequestSchema>
export type RequestInput = z.input<typeof RequestSchema>

/** The auth part of a request in its object form. */
export function authSpec(auth: RequestSpec['auth']): AuthSpec {
  return typeof auth === 'string' ? { method: auth, encoding: 'form' } : auth
}
