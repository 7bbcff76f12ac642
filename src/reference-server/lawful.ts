/**
 * Lawful variations of the reference server: answers the specifications allow that the conformant
 * policy happens not to give. Each sets one or more fields of the policy (a few need two: a claim
 * RFC 9068 requires may only be left out of a JWT that does not declare RFC 9068), cites the text
 * that allows it, and names the checks whose edge it probes (`aimedAt`). Switched on, alone or
 * in any combination, they must not make a check fail, warn or error: the other half of the proof
 * of the tester (defects.ts is the first). `mayWarn` names the checks a SHOULD of the text lets
 * it warn, with that sentence; nothing else may.
 *
 * @module
 */
import type { Switch } from './policy.ts'

export interface LawfulVariation extends Switch {
  /** Where the specifications allow it. */
  allowedBy: string
  /** The checks (ids) whose edge it probes: their verdict must not move to a failure. */
  aimedAt: readonly string[]
  /** Checks a SHOULD lets it warn, each with the sentence. */
  mayWarn?: Readonly<Record<string, string>>
  /** The provider whose documented behaviour it mirrors (PROVIDERS.md), if any. */
  provider?: string
}

const ERROR_CHECKS = ['error-response.well-formed', 'error-response.error-code', 'error-response.registered-code', 'response.no-token-issued']
const EXPLICIT_TYPING = 'RFC 8725 §3.11: explicit typing is RECOMMENDED for new uses of JWTs (RFC 9068 §2.1 asks typ at+jwt of RFC 9068 tokens)'

export const LAWFUL = {
  // Token responses (RFC 6749 §5.1)
  'token-type-lowercase': {
    description: 'token_type is "bearer"',
    allowedBy: 'RFC 6749 §5.1: the token_type value is case insensitive',
    set: { tokenType: 'bearer' },
    aimedAt: ['token-response.token-type'],
  },
  'json-charset-parameter': {
    description: 'Content-Type is application/json; charset=utf-8',
    allowedBy: 'RFC 8259 §11: the charset parameter has no effect on JSON, which is UTF-8; RFC 6749 §5.1 names the media type',
    set: { tokenContentType: 'application/json; charset=utf-8' },
    aimedAt: ['token-response.json-content-type', 'response.json-utf8'],
  },
  'scope-echo-omitted': {
    description: 'scope is not echoed when identical to the request',
    allowedBy: 'RFC 6749 §5.1: scope is OPTIONAL if identical to the scope requested',
    set: { scopeMember: 'when-different' },
    aimedAt: ['token-response.scope-echo', 'scope.order-same-grant', 'jwt-access-token.scope-claim', 'introspection.describes-token'],
  },
  'scope-echo-reordered': {
    description: "the scope member lists the granted scopes in the server's order, not the request's",
    allowedBy: 'RFC 6749 §3.3: the order of space-delimited scope strings does not matter',
    set: { scopeEchoOrder: 'reversed' },
    aimedAt: ['token-response.scope-echo', 'scope.order-same-grant', 'scope.restricted-not-granted'],
  },
  'optional-members-null': {
    description: 'optional members without a value are written as JSON null (scope, refresh_token, error_uri …)',
    allowedBy: 'RFC 6749 §5.1, §5.2 and RFC 7662 §2.2 make these members OPTIONAL; a null member gives no value',
    set: { unsetMembers: 'null', scopeMember: 'when-different' },
    aimedAt: ['token-response.no-refresh-token', 'token-response.scope-echo', 'token-response.expires-in-valid', 'error-response.well-formed'],
  },
  'extra-response-members': {
    description: 'token, error and introspection responses carry members the RFCs do not define',
    allowedBy: 'RFC 6749 §5.1: the client MUST ignore unrecognized value names in the response; RFC 7662 §2.2 allows other members',
    set: { extraMembers: true },
    aimedAt: [
      'response.unique-members',
      'token-response.has-access-token',
      'token-response.has-expires-in',
      'response.status-in',
      'error-response.registered-code',
      'error-response.error-code',
      'introspection.active',
      'introspection.describes-token',
    ],
  },
  'expires-in-omitted': {
    description: 'expires_in is omitted (the lifetime is documented elsewhere)',
    allowedBy: 'RFC 6749 §5.1: expires_in is RECOMMENDED, not required',
    set: { expiresIn: 'absent' },
    aimedAt: ['jwt-access-token.exp-matches-expires-in', 'token-response.expires-in-valid'],
    mayWarn: { 'token-response.has-expires-in': 'RFC 6749 §5.1: expires_in is RECOMMENDED' },
  },
  'cache-control-other-directives': {
    description: 'Cache-Control: no-cache, no-store, max-age=0, must-revalidate',
    allowedBy: 'RFC 6749 §5.1 asks for no-store; RFC 9111 §5.2 lets other directives stand beside it',
    set: { cacheControl: 'with-other-directives' },
    aimedAt: ['token-response.cache-control-no-store', 'token-response.pragma-no-cache'],
  },
  'opaque-tokens': {
    description: 'access tokens are opaque random strings, not JWTs',
    allowedBy: 'RFC 6749 §1.4: the access token is usually opaque to the client, its format left to the server',
    set: { tokenFormat: 'opaque' },
    aimedAt: ['token-response.access-token-entropy', 'token-response.has-access-token', 'jwt-access-token.signature', 'jwt-access-token.typ', 'introspection.active', 'revocation.accepted'],
  },

  // Requests and client authentication (RFC 6749 §2.3, §3.2, §5.2)
  'accepts-json-body': {
    description: 'JSON request bodies are accepted as well as form bodies',
    allowedBy: 'RFC 6749 §4.4.2 defines the form encoding; a server may understand more',
    set: { jsonBodies: 'accepted' },
    aimedAt: ['response.token-or-error'],
  },
  'post-invalid-client-401': {
    description: 'failed body authentication gets 401 with a challenge',
    allowedBy: 'RFC 6749 §5.2: the authorization server MAY return an HTTP 401 for invalid_client',
    set: { failedBody: '401-challenge' },
    aimedAt: ['error-response.status-400', 'error-response.invalid-client-basic-challenge', 'error-response.error-code'],
  },
  'basic-challenge-in-a-list': {
    description: 'the 401 after failed Basic authentication lists two challenges, Basic second',
    allowedBy: 'RFC 9110 §11.6.1: WWW-Authenticate may hold several challenges; RFC 6749 §5.2 asks one to match the scheme used',
    set: { basicChallenge: 'two-challenges' },
    aimedAt: ['error-response.invalid-client-basic-challenge'],
  },
  'unauthorized-client-401-bearer': {
    description: 'a client not allowed the grant gets unauthorized_client with HTTP 401 and a Bearer challenge',
    allowedBy: 'RFC 6749 §5.2: the Basic challenge belongs to invalid_client; for other codes 400 is the status "unless specified otherwise"',
    set: { unauthorizedClient: '401-bearer' },
    aimedAt: ['error-response.invalid-client-basic-challenge', 'error-response.error-code'],
    mayWarn: { 'error-response.status-400': 'RFC 6749 §5.2: the server responds with HTTP 400 unless specified otherwise' },
  },
  'error-description-absent': {
    description: 'error responses have no error_description',
    allowedBy: 'RFC 6749 §5.2: error_description is OPTIONAL',
    set: { errorDescription: 'absent' },
    aimedAt: [...ERROR_CHECKS, 'client-assertion.introspection-refused', 'client-assertion.revocation-refused', 'client-assertion.replay-refused'],
  },
  'error-uri': {
    description: 'error responses carry an error_uri, an absolute https URI',
    allowedBy: 'RFC 6749 §5.2: error_uri is OPTIONAL, a URI of a human-readable page about the error',
    set: { errorUri: true },
    aimedAt: [...ERROR_CHECKS, 'client-assertion.introspection-refused', 'client-assertion.revocation-refused', 'client-assertion.replay-refused'],
  },
  'dpop-requires-nonce': {
    description: 'the server demands a DPoP nonce (use_dpop_nonce) before it accepts a proof',
    allowedBy: 'RFC 9449 §8: an authorization server MAY require a server-provided nonce',
    set: { dpopNonce: 'required' },
    aimedAt: ['jwt-access-token.cnf-jkt', 'response.status-in'],
  },
  'token-endpoint-query': {
    description: 'the token endpoint URL has a query component (?tenant=grantcheck)',
    allowedBy: 'RFC 6749 §3.2: the endpoint URI MAY include a query component, which MUST be retained',
    set: { tokenEndpointQuery: true },
    aimedAt: ['request.uses-tls', 'request.endpoint-without-fragment', 'metadata.token-endpoint-present'],
  },

  // Scope (RFC 6749 §3.3)
  'missing-scope-invalid-scope': {
    description: 'a request without scope gets invalid_scope',
    allowedBy: 'RFC 6749 §3.3: the server MUST either process the request using a default value or fail it indicating an invalid scope',
    set: { missingScope: 'invalid_scope' },
    aimedAt: ['response.token-or-error', 'request.empty-scope-same-status', 'request.empty-scope-same-error'],
  },
  'empty-default-grant': {
    description: 'a request without scope gets a token with an empty grant: no scope member, no scope claim',
    allowedBy: "RFC 6749 §3.3: the default scope is the server's to define, and may be empty",
    set: { missingScope: 'empty-grant', emptyGrantAs: 'absent' },
    aimedAt: ['request.empty-scope-same-grant', 'token-response.scope-echo', 'jwt-access-token.scope-claim'],
  },
  'empty-grant-claim-null-or-empty': {
    description: 'an empty default grant, its scope claim written null in one token and "" in the next',
    allowedBy: 'RFC 9068 §2.2.3 only RECOMMENDS a scope claim for a request that named a scope; nothing shapes the claim of an empty grant',
    set: { missingScope: 'empty-grant', emptyGrantAs: 'alternating' },
    aimedAt: ['request.empty-scope-same-grant', 'request.empty-scope-same-status', 'jwt-access-token.scope-claim'],
  },
  'unknown-scope-dropped': {
    description: 'scopes the server does not define are left out of the grant, which the scope member shows',
    allowedBy: 'RFC 6749 §3.3: the server MAY fully or partially ignore the scope requested, and then MUST include scope in the response',
    set: { unknownScopes: 'ignored' },
    aimedAt: ['scope.unknown-not-granted', 'token-response.scope-echo'],
    provider: 'Cognito',
  },
  'denied-scope-invalid-scope': {
    description: 'a scope the client may not have makes the request fail with invalid_scope',
    allowedBy: 'RFC 6749 §5.2: invalid_scope is the code for a scope that exceeds what was granted',
    set: { deniedScopes: 'invalid_scope' },
    aimedAt: ['scope.restricted-not-granted', 'response.token-or-error', 'error-response.status-400'],
  },

  // JWT access tokens (RFC 9068, RFC 7519)
  'plain-jwt': {
    description: 'JWT access tokens of typ JWT: they do not declare RFC 9068',
    allowedBy: 'RFC 6749 §1.4 leaves the format open; RFC 9068 binds only tokens that declare it',
    set: { jwtTyp: 'JWT' },
    aimedAt: ['jwt-access-token.typ', 'jwt-access-token.required-claims'],
    mayWarn: { 'jwt-access-token.typ': EXPLICIT_TYPING },
  },
  'plain-jwt-without-sub': {
    description: 'a JWT of typ JWT without sub',
    allowedBy: 'RFC 7519 §4.1.2: sub is OPTIONAL; only RFC 9068 §2.2 requires it',
    set: { jwtTyp: 'JWT', jwtSub: 'absent' },
    aimedAt: ['jwt-access-token.sub-identifies-client', 'jwt-access-token.required-claims'],
    mayWarn: { 'jwt-access-token.typ': EXPLICIT_TYPING },
  },
  'plain-jwt-without-iss': {
    description: 'a JWT of typ JWT without iss',
    allowedBy: 'RFC 7519 §4.1.1: iss is OPTIONAL; only RFC 9068 §2.2 requires it',
    set: { jwtTyp: 'JWT', jwtIssuer: 'absent' },
    aimedAt: ['jwt-access-token.iss-matches-issuer'],
    mayWarn: { 'jwt-access-token.typ': EXPLICIT_TYPING },
  },
  'client-id-dialects-too': {
    description: 'an RFC 9068 token that also names the client in cid, azp and appid',
    allowedBy: 'RFC 9068 §2.2: other claims MAY be included; RFC 7519 §4: claims not understood are ignored',
    set: { clientIdDialects: true },
    aimedAt: ['jwt-access-token.client-id', 'jwt-access-token.required-claims'],
  },
  'aud-as-array': {
    description: 'aud is a one-member array rather than a string',
    allowedBy: 'RFC 7519 §4.1.3: aud is an array of strings, or a single string in the special case of one audience',
    set: { audForm: 'array' },
    aimedAt: ['jwt-access-token.aud-includes-resource', 'jwt-access-token.aud-includes-audience'],
  },
  'jwt-nbf': {
    description: 'JWT access tokens carry nbf, equal to iat',
    allowedBy: 'RFC 7519 §4.1.5: nbf is OPTIONAL; RFC 9068 §2.2 allows other claims',
    set: { jwtNbf: true },
    aimedAt: ['jwt-access-token.lifetime', 'jwt-access-token.required-claims'],
  },
  'jwt-es256': {
    description: 'JWT access tokens are signed ES256 with an EC key the JWKS publishes beside the RSA one',
    allowedBy: 'RFC 9068 §2.1: JWT access tokens can use any signing algorithm but none; RFC 7518 §3.4 defines ES256',
    set: { jwtAlg: 'ES256' },
    aimedAt: ['jwt-access-token.signature', 'jwt-access-token.asymmetric-signature', 'jwt-access-token.kid-found'],
  },
  'no-kid-single-key': {
    description: 'JWT access tokens carry no kid, and the JWKS holds one key',
    allowedBy: 'RFC 7515 §4.1.4: kid is OPTIONAL; with one key in the set there is nothing to choose',
    set: { jwtKid: 'absent', jwksExtraKeys: false, jwtAlg: 'RS256' },
    aimedAt: ['jwt-access-token.kid-found', 'jwt-access-token.signature'],
  },
  'jwks-other-keys': {
    description: 'the JWKS lists an EC signing key, an Ed25519 key without alg, an ML-DSA-44 key (kty AKP) and an RSA encryption key before the signing key',
    allowedBy:
      'RFC 7517 §5: a JWK Set holds any number of keys, and implementations SHOULD ignore those of a kty they do not understand; alg is OPTIONAL (RFC 7517 §4.4); kid selects among them (RFC 7515 §4.1.4)',
    set: { jwksExtraKeys: true },
    aimedAt: ['jwt-access-token.signature', 'jwt-access-token.kid-found', 'metadata.jwks-valid'],
  },
  'okta-claims': {
    description: 'no typ; cid and scp (an array) instead of client_id and scope',
    allowedBy: 'RFC 6749 §1.4 leaves the format open; a JWT that does not declare RFC 9068 names the client and scopes its own way',
    set: { claimsDialect: 'okta' },
    aimedAt: ['jwt-access-token.client-id', 'jwt-access-token.scope-claim', 'jwt-access-token.required-claims'],
    mayWarn: { 'jwt-access-token.typ': EXPLICIT_TYPING },
    provider: 'Okta',
  },
  'auth0-claims': {
    description: 'typ JWT; azp instead of client_id; sub is "<client_id>@clients"; gty',
    allowedBy: 'RFC 6749 §1.4 leaves the format open; a JWT that does not declare RFC 9068 names the client its own way',
    set: { claimsDialect: 'auth0' },
    aimedAt: ['jwt-access-token.client-id', 'jwt-access-token.sub-identifies-client'],
    mayWarn: { 'jwt-access-token.typ': EXPLICIT_TYPING },
    provider: 'Auth0',
  },
  'entra-claims': {
    description: 'typ JWT; azp instead of client_id; roles instead of scope',
    allowedBy: "RFC 6749 §1.4 leaves the format open; RFC 9068 §2.2.3's scope claim binds only tokens that declare RFC 9068",
    set: { claimsDialect: 'entra' },
    aimedAt: ['jwt-access-token.scope-claim', 'jwt-access-token.client-id'],
    mayWarn: { 'jwt-access-token.typ': EXPLICIT_TYPING },
    provider: 'Entra ID',
  },

  // Metadata (RFC 8414, OpenID Connect Discovery 1.0)
  'discovery-rfc8414-only': {
    description: 'only /.well-known/oauth-authorization-server is served',
    allowedBy: 'RFC 8414 §3: the well-known URI suffix is oauth-authorization-server; OpenID Discovery is another document',
    set: { discovery: 'rfc8414-only' },
    aimedAt: ['metadata.issuer-identical', 'metadata.token-endpoint-present', 'metadata.grant-types-include-client-credentials'],
  },
  'discovery-openid-only': {
    description: 'only /.well-known/openid-configuration is served',
    allowedBy: 'RFC 8414 §5: OpenID Connect Discovery 1.0 §4 serves the same metadata at openid-configuration',
    set: { discovery: 'openid-only' },
    aimedAt: ['metadata.issuer-identical', 'metadata.token-endpoint-present', 'metadata.response-types-present', 'metadata.mtls'],
  },
  'metadata-extra-members': {
    description: 'the metadata lists more grants, response types, signing algorithms and members the suites do not read',
    allowedBy: 'RFC 8414 §2: other metadata values MAY be used; §3.2: unrecognized members MUST be ignored',
    set: { metadataExtras: true },
    aimedAt: [
      'metadata.grant-types-include-client-credentials',
      'metadata.no-password-grant',
      'metadata.response-types-present',
      'metadata.signing-algs-for-jwt-methods',
      'metadata.endpoints-on-named-origins',
      'response.auth-method-advertised',
    ],
  },
  'mtls-without-aliases': {
    description: 'no mtls_endpoint_aliases: certificates count at the endpoints themselves',
    allowedBy: 'RFC 8705 §5: the aliases are OPTIONAL',
    set: { mtlsAliases: 'none' },
    aimedAt: ['metadata.mtls', 'jwt-access-token.cnf-x5t', 'introspection.cnf-x5t'],
  },

  // Client assertions (RFC 7523 §3, RFC 7519 §4.1)
  'introspection-without-assertions': {
    description: 'the introspection endpoint takes no JWT client authentication (refused with invalid_client, and not advertised there)',
    allowedBy: 'RFC 8414 §2: introspection_endpoint_auth_methods_supported is chosen per endpoint; RFC 7662 §2.1 leaves the method to the server',
    set: { introspectionAssertions: 'refused' },
    aimedAt: ['client-assertion.introspection-refused', 'client-assertion.replay-refused'],
  },
  'assertion-clock-leeway-0': {
    description: 'no clock leeway on client assertions: an iat or nbf ahead, or an exp just past, is refused',
    allowedBy: 'RFC 7519 §4.1.4, §4.1.5: implementers MAY provide for some small leeway; none is required',
    set: { assertionClockLeeway: 0 },
    aimedAt: ['response.status-in', 'response.no-token-issued'],
  },
  'assertion-clock-leeway-5': {
    description: 'a clock leeway of 5 s on client assertions',
    allowedBy: 'RFC 7519 §4.1.4, §4.1.5: a small leeway MAY be provided',
    set: { assertionClockLeeway: 5 },
    aimedAt: ['response.status-in', 'response.no-token-issued'],
  },
  'assertion-clock-leeway-15': {
    description: "a clock leeway of 15 s on client assertions (node-oidc-provider's default clockTolerance)",
    allowedBy: 'RFC 7519 §4.1.4, §4.1.5: a small leeway MAY be provided',
    set: { assertionClockLeeway: 15 },
    aimedAt: ['response.status-in', 'response.no-token-issued'],
  },

  // Introspection and revocation (RFC 7662, RFC 7009)
  'introspection-active-only': {
    description: 'introspection of an active token answers active, and the binding, only',
    allowedBy: 'RFC 7662 §2.2: every member but active is OPTIONAL',
    set: { introspectionMembers: 'active-only' },
    aimedAt: ['introspection.describes-token', 'introspection.active', 'introspection.cnf-x5t'],
  },
  'introspection-inactive-to-strangers': {
    description: 'introspection without credentials answers active: false, whatever the token',
    allowedBy: 'RFC 7662 §2.1 asks for some authorization and §2.2 lets the server answer active false rather than tell more',
    set: { introspectionAuthorization: 'inactive-without' },
    aimedAt: ['introspection.requires-authorization'],
  },
  'revocation-json-body': {
    description: 'revocation answers 200 with an empty JSON object',
    allowedBy: 'RFC 7009 §2.2: the content of the response body is ignored by the client',
    set: { revocationBody: 'json' },
    aimedAt: ['revocation.accepted', 'client-assertion.revocation-refused'],
  },
} as const satisfies Record<string, LawfulVariation>

export type Lawful = keyof typeof LAWFUL

export function isLawful(name: string): name is Lawful {
  return Object.hasOwn(LAWFUL, name)
}
