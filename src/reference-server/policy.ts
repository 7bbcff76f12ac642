/**
 * The reference server's behaviour as data: one field per behaviour a defect or a provider
 * emulation can change. {@link CONFORMANT} is what RFC 6749, RFC 7523, RFC 8414, RFC 9068 and the
 * other specifications ask for; each defect (defects.ts) and provider behaviour (behaviours.ts) is
 * a row that overrides exactly one field.
 *
 * @module
 */

export interface Policy {
  // Metadata (RFC 8414)
  /** The issuer the RFC 8414 document names: its own, or another (§3.3 says identical). */
  rfc8414Issuer: 'own' | 'other'
  /** The advertised token endpoint: under the issuer's scheme, as plain http, or with a fragment. */
  tokenEndpoint: 'issuer' | 'plain-http' | 'with-fragment' | 'relative'
  grantTypesSupported: 'client_credentials' | 'with-password' | 'omitted'
  /** token_endpoint_auth_signing_alg_values_supported, required beside JWT methods. */
  /** token_endpoint_auth_signing_alg_values_supported: listed, left out, or listing "none" too. */
  signingAlgs: 'listed' | 'absent' | 'with-none'
  responseTypesAdvertised: boolean
  /** Where introspection, revocation and the JWKS are advertised. */
  endpointsOrigin: 'issuer' | 'elsewhere'
  /**
   * The signing key as the JWKS publishes it: public, or (defects) a key no signature should be
   * trusted with: the private one, a 1024-bit RSA key that signs the tokens, the RSA key with e = 1
   * (tokens "signed" with the encoded message itself) or e = 65536, the EC key with its point off
   * P-256 (tokens signed ES256), the RSA key labelled alg ES256, or the shared secret beside it.
   */
  jwksKey: 'public' | 'private' | 'rsa-1024' | 'rsa-exponent-1' | 'rsa-even-exponent' | 'ec-off-curve' | 'alg-mismatch' | 'with-symmetric'
  /** Other keys beside the signing key in the JWKS (EC, Ed25519 and ML-DSA-44 signing keys, an RSA encryption key). */
  jwksExtraKeys: boolean
  /** Which well-known documents are served: both, or only one of RFC 8414's and OpenID's. */
  discovery: 'both' | 'rfc8414-only' | 'openid-only'
  /** Metadata members beyond those the suites read, and more grants and methods listed. */
  metadataExtras: boolean
  /** A query component in the token endpoint URL (RFC 6749 §3.2 allows one, to be retained). */
  tokenEndpointQuery: boolean

  // Request handling (RFC 6749 §3.2, §4.4.2)
  getRequests: 'refused' | 'accepted'
  queryCredentials: 'refused' | 'accepted'
  repeatedParameters: 'refused' | 'accepted'
  unknownParameters: 'ignored' | 'refused'
  /** scope= is treated as omitted (§3.2), refused, or (a defect) taken as every scope the client may have. */
  emptyScope: 'as-omitted' | 'invalid_request' | 'invalid_scope' | 'all-client-scopes'
  redirectUri: 'ignored' | 'server-error'
  missingGrantType: 'invalid_request' | 'client_credentials'
  unknownGrantType: 'unsupported_grant_type' | 'invalid_request'
  clientGrantTypes: 'enforced' | 'ignored'
  jsonBodies: 'refused' | 'accepted'

  // Client authentication (RFC 6749 §2.3, §5.2)
  basic: 'supported' | 'refused'
  /** Basic credentials form-decoded (§2.3.1), not decoded, or decoded strictly (a bad escape is a 500). */
  basicDecoding: 'form' | 'none' | 'strict'
  /** Body credentials: for clients registered for them, refused, or for every client and unadvertised. */
  postMethod: 'registered-clients' | 'refused' | 'every-client-unadvertised'
  secrets: 'verified' | 'any'
  unknownClients: 'refused' | 'accepted'
  missingSecret: 'refused' | 'accepted'
  twoMethods: 'invalid_request' | 'invalid_request-401' | 'accepted'
  /** A failed Basic authentication: 401 with a Basic challenge (§5.2), or 400 without. */
  failedBasic: '401-challenge' | '400'
  /** A failed body authentication: 400, or 401 with a challenge (both allowed). */
  failedBody: '400' | '401-challenge'
  /** A client not allowed the grant: 400 unauthorized_client, or 401 with a Bearer challenge. */
  unauthorizedClient: '400' | '401-bearer'
  /** The Basic challenge: one challenge with realm and charset, or a list of two challenges. */
  basicChallenge: 'basic' | 'two-challenges'
  /** The code of failed client authentication. */
  clientAuthErrorCode: 'invalid_client' | 'invalid_credentials'
  /** A wrong secret: invalid_client, or a provider's other answer. */
  wrongSecret: 'invalid_client' | 'access_denied-401' | 'unauthorized_client-401'

  // Client assertions (RFC 7523 §3, OpenID Connect Core §9, draft-ietf-oauth-rfc7523bis-11 §4)
  /**
   * Which audiences an assertion may name. rfc7523bis: the issuer alone, as a string or a
   * one-member array, compared as strings; string-only: the issuer as a string (FAPI 2.0);
   * extra-members: any list that includes the issuer; legacy: the issuer, the token endpoint URL
   * or the URL of the endpoint it was sent to; normalized: the issuer, compared as URLs (a trailing
   * slash, case, a default port ignored); token-endpoint-only; any.
   */
  assertionAudiences: 'rfc7523bis' | 'string-only' | 'extra-members' | 'legacy' | 'normalized' | 'token-endpoint-only' | 'any'
  /**
   * The header's typ. rfc7523bis: none, JWT or client-authentication+jwt (either form) accepted,
   * other explicit types refused; required: only the explicit type; untyped-only: none or JWT;
   * short-form-only: the explicit type without its application/ prefix; any.
   */
  assertionTyp: 'rfc7523bis' | 'required' | 'untyped-only' | 'short-form-only' | 'any'
  /** An iat beyond the clock leeway ahead, and a lifetime (exp − iat) over an hour: refused, or not checked. */
  assertionIatAndLifetime: 'bounded' | 'unchecked'
  /**
   * Seconds of clock skew allowed on an assertion's iat and nbf ahead and its exp past. No text
   * fixes it outside FAPI 2.0 (RFC 7519: "some small leeway"); 60 s meets FAPI 2.0 §5.3.2.1 too
   * (accept up to 10 s ahead, refuse beyond 60 s), 0 and 5 s do not.
   */
  assertionClockLeeway: 60 | 15 | 5 | 0
  /** An assertion whose audience is refused: invalid_client (RFC 7523 §3.2), or an empty 403. */
  assertionAudienceRefusal: 'invalid_client' | 'empty-403'
  /** A jti is spent at every endpoint once used at one, or only at the endpoint that saw it. */
  assertionReplayScope: 'global' | 'per-endpoint'
  assertionExpiry: 'checked' | 'unchecked'
  assertionNotBefore: 'checked' | 'unchecked'
  unsignedAssertions: 'refused' | 'accepted'
  assertionSignatures: 'verified' | 'unchecked'
  assertionSubject: 'checked' | 'unchecked'
  assertionIssuer: 'checked' | 'unchecked'
  assertionBodyClientId: 'checked' | 'unchecked'
  /** An HS256 assertion for an asymmetric client: refused, or (confusion) verified with the public key. */
  hmacWithPublicKey: 'refused' | 'verified-with-public-key'
  assertionReplay: 'refused' | 'accepted'
  assertionType: 'required' | 'optional'
  rsaKeys: 'supported' | 'refused'
  ecKeys: 'supported' | 'refused'
  clientSecretJwt: 'supported' | 'refused'

  // Mutual TLS (RFC 8705)
  /** mtls_endpoint_aliases: same-origin /mtls/ paths where certificates count; relative paths (malformed); none (certificates count at the endpoints themselves). */
  mtlsAliases: 'same-origin' | 'relative' | 'none'
  /** tls_client_auth: the chain to the trusted CA and the registered subject checked, or any certificate taken. */
  mtlsCertificates: 'verified' | 'any'
  /** The subject DN compared as RFC 4514 writes it (last RDN first), or in encoding order (a bug that refuses the registered certificate). */
  mtlsSubjectOrder: 'rfc4514' | 'encoding-order'
  /** self_signed_tls_client_auth: supported with the key checked against the client's JWKS, supported unchecked, or not supported. */
  mtlsSelfSigned: 'key-checked' | 'key-unchecked' | 'unsupported'
  /** A TLS client without a certificate: refused, or taken on its client_id. */
  mtlsMissingCertificate: 'refused' | 'accepted'
  /** A TLS client that also sends a secret or an assertion: refused (two methods), or authenticated by its certificate. */
  mtlsWithOtherMethod: 'refused' | 'accepted'
  /** Tokens issued to a client that presented a certificate: bound to it (cnf x5t#S256), unbound, or bound to another certificate. */
  mtlsBinding: 'bound' | 'unbound' | 'other-certificate'
  /** Introspection of a certificate-bound token: with its cnf, or without. */
  mtlsIntrospectionCnf: 'given' | 'omitted'

  // Scope (RFC 6749 §3.3)
  /** A request without scope: the client's default grant, refused, or an empty grant. */
  missingScope: 'default' | 'invalid_request' | 'invalid_scope' | 'empty-grant'
  /** How an empty grant is written, in the scope member and the JWT's scope claim. */
  emptyGrantAs: 'absent' | 'empty-string' | 'null' | 'alternating'
  /** The order of the scope member: the request's, or the server's own (reversed). */
  scopeEchoOrder: 'request' | 'reversed'
  validScopes: 'granted' | 'refused'
  /** What is granted for a valid request. */
  scopeGrant: 'as-requested' | 'default' | 'first-only' | 'with-restricted' | 'order-dependent'
  /** Scopes the server does not define: refused, a crash, silently left out, or granted as if they existed. */
  unknownScopes: 'invalid_scope' | 'server-error' | 'ignored' | 'granted'
  scopeOrder: 'any' | 'configured'
  /** Scopes the client may not have: left out of a narrowed grant, or refused with access_denied (400, or 403 for unknown ones too). */
  deniedScopes: 'narrowed' | 'access_denied' | 'access_denied-403' | 'invalid_scope'

  // Token response (RFC 6749 §5.1)
  tokenFormat: 'jwt' | 'opaque' | 'short-opaque' | 'uuid' | 'not-vschar'
  tokenStatus: 200 | 201
  tokenContentType: 'application/json' | 'application/json; charset=utf-8' | 'text/plain'
  /** The token response's bytes: UTF-8, or UTF-16LE with a byte order mark and a utf-16 label. */
  tokenEncoding: 'utf-8' | 'utf-16le'
  /** A member written twice in the token response: none, access_token (its value twice), or one of the server's own. */
  duplicateMembers: 'none' | 'access_token' | 'extension'
  cacheHeaders: boolean
  /** Cache-Control: no-store alone, or with other directives beside it. */
  cacheControl: 'no-store' | 'with-other-directives'
  /** Optional members that have no value: left out, or written as JSON null. */
  unsetMembers: 'omitted' | 'null'
  /** Members beyond those the RFCs define, in token, error and introspection responses. */
  extraMembers: boolean
  tokenType: 'Bearer' | 'bearer' | 'mac'
  expiresIn: 'number' | 'string' | 'absent'
  /** The scope member: always, not when identical to the request, not when narrowed, or never. */
  scopeMember: 'always' | 'when-different' | 'when-identical' | 'never'
  refreshToken: boolean

  // JWT access tokens (RFC 9068)
  jwtTyp: 'at+jwt' | 'JWT'
  /** Where the claims name the client and the scopes: RFC 9068's way, or a provider's. */
  claimsDialect: 'rfc9068' | 'okta' | 'auth0' | 'entra' | 'cognito' | 'keycloak'
  jwtClientIdAndJti: 'present' | 'missing'
  jwtIssuer: 'issuer' | 'other' | 'absent'
  /** sub: the client's id, or none (a JWT that does not declare RFC 9068 need not carry it). */
  jwtSub: 'client' | 'absent'
  /** Dialect claims (cid, azp, appid) beside client_id. */
  clientIdDialects: boolean
  /** aud: a string for a single audience, or always an array. */
  audForm: 'string' | 'array'
  /** An nbf claim (equal to iat) in JWT access tokens. */
  jwtNbf: boolean
  jwtSigningKey: 'published' | 'unpublished'
  /** The signing algorithm: RSA, EC (its key published beside the RSA one), or a shared secret. */
  jwtAlg: 'RS256' | 'ES256' | 'HS256'
  jwtLifetime: 'expires-in' | 'day' | 'expired'
  jwtClient: 'requesting' | 'other'
  /** The kid in the header: the published key's, none, or one the JWKS does not have. */
  jwtKid: 'published' | 'absent' | 'unknown'
  /** The scope claim: the grant, none, or every scope the client may have. */
  jwtScopeClaim: 'grant' | 'absent' | 'client-scopes'
  resourceInAud: boolean
  audienceInAud: boolean
  resources: 'validated' | 'unvalidated'

  // Error responses (RFC 6749 §5.2)
  errorFormat: 'json' | 'text'
  /** The status of errors other than invalid_client. */
  errorStatus: 400 | 403
  errorDescription: 'clean' | 'with-quote' | 'absent'
  /** An error_uri, an absolute URI of a page about the error. */
  errorUri: boolean
  /** Error texts: RFC 6749's, or Entra's (AADSTS codes and CR LF trace lines, its codes for unknown clients and missing scopes). */
  errorDialect: 'rfc6749' | 'entra'

  // Introspection (RFC 7662) and revocation (RFC 7009)
  /** Introspection callers: authenticated, not at all, or unauthenticated ones told only active: false. */
  introspectionAuthorization: 'required' | 'none' | 'inactive-without'
  /** Client assertions at the introspection endpoint: accepted, or (lawfully) refused and not advertised there. */
  introspectionAssertions: 'accepted' | 'refused'
  /** What introspection says of an active token: every member, or only active (the rest are OPTIONAL). */
  introspectionMembers: 'full' | 'active-only'
  introspectionActive: 'truthful' | 'never'
  introspectionUnknownToken: 'inactive' | 'error'
  /** What introspection says of an active token: the truth, another client, or another scope. */
  introspectionDescription: 'truthful' | 'other-client' | 'other-scope'
  revocation: 'revokes' | 'ignored'
  revocationUnknownToken: 'ok' | 'error'
  /** The body of a revocation answer: empty, or an empty JSON object. */
  revocationBody: 'empty' | 'json'

  // DPoP (RFC 9449)
  dpopHtm: 'checked' | 'unchecked'
  dpopHtu: 'checked' | 'unchecked'
  dpopIat: 'checked' | 'unchecked'
  dpopPrivateJwk: 'refused' | 'accepted'
  dpopTyp: 'checked' | 'unchecked'
  dpopBinding: 'bound' | 'unbound'
  /** cnf.jkt of a DPoP-bound JWT: the proof key's thumbprint, none, or another key's. */
  dpopCnf: 'proof-key' | 'absent' | 'other-key'
  dpopNonce: 'optional' | 'required'
}

/** The conformant server. */
export const CONFORMANT: Readonly<Policy> = {
  rfc8414Issuer: 'own',
  tokenEndpoint: 'issuer',
  grantTypesSupported: 'client_credentials',
  signingAlgs: 'listed',
  responseTypesAdvertised: true,
  endpointsOrigin: 'issuer',
  jwksKey: 'public',
  jwksExtraKeys: false,
  discovery: 'both',
  metadataExtras: false,
  tokenEndpointQuery: false,

  getRequests: 'refused',
  queryCredentials: 'refused',
  repeatedParameters: 'refused',
  unknownParameters: 'ignored',
  emptyScope: 'as-omitted',
  redirectUri: 'ignored',
  missingGrantType: 'invalid_request',
  unknownGrantType: 'unsupported_grant_type',
  clientGrantTypes: 'enforced',
  jsonBodies: 'refused',

  basic: 'supported',
  basicDecoding: 'form',
  postMethod: 'registered-clients',
  secrets: 'verified',
  unknownClients: 'refused',
  missingSecret: 'refused',
  twoMethods: 'invalid_request',
  failedBasic: '401-challenge',
  failedBody: '400',
  unauthorizedClient: '400',
  basicChallenge: 'basic',
  clientAuthErrorCode: 'invalid_client',
  wrongSecret: 'invalid_client',

  assertionAudiences: 'rfc7523bis',
  assertionTyp: 'rfc7523bis',
  assertionIatAndLifetime: 'bounded',
  assertionClockLeeway: 60,
  assertionAudienceRefusal: 'invalid_client',
  assertionReplayScope: 'global',
  assertionExpiry: 'checked',
  assertionNotBefore: 'checked',
  unsignedAssertions: 'refused',
  assertionSignatures: 'verified',
  assertionSubject: 'checked',
  assertionIssuer: 'checked',
  assertionBodyClientId: 'checked',
  hmacWithPublicKey: 'refused',
  assertionReplay: 'refused',
  assertionType: 'required',
  rsaKeys: 'supported',
  ecKeys: 'supported',
  clientSecretJwt: 'supported',

  mtlsAliases: 'same-origin',
  mtlsCertificates: 'verified',
  mtlsSubjectOrder: 'rfc4514',
  mtlsSelfSigned: 'key-checked',
  mtlsMissingCertificate: 'refused',
  mtlsWithOtherMethod: 'refused',
  mtlsBinding: 'bound',
  mtlsIntrospectionCnf: 'given',

  missingScope: 'default',
  emptyGrantAs: 'absent',
  scopeEchoOrder: 'request',
  validScopes: 'granted',
  scopeGrant: 'as-requested',
  unknownScopes: 'invalid_scope',
  scopeOrder: 'any',
  deniedScopes: 'narrowed',

  tokenFormat: 'jwt',
  tokenStatus: 200,
  tokenContentType: 'application/json',
  cacheHeaders: true,
  cacheControl: 'no-store',
  unsetMembers: 'omitted',
  extraMembers: false,
  tokenEncoding: 'utf-8',
  duplicateMembers: 'none',
  tokenType: 'Bearer',
  expiresIn: 'number',
  scopeMember: 'always',
  refreshToken: false,

  jwtTyp: 'at+jwt',
  claimsDialect: 'rfc9068',
  jwtClientIdAndJti: 'present',
  jwtIssuer: 'issuer',
  jwtSub: 'client',
  clientIdDialects: false,
  audForm: 'string',
  jwtNbf: false,
  jwtSigningKey: 'published',
  jwtAlg: 'RS256',
  jwtLifetime: 'expires-in',
  jwtClient: 'requesting',
  jwtKid: 'published',
  jwtScopeClaim: 'grant',
  resourceInAud: true,
  audienceInAud: true,
  resources: 'validated',

  errorFormat: 'json',
  errorStatus: 400,
  errorDescription: 'clean',
  errorUri: false,
  errorDialect: 'rfc6749',

  introspectionAuthorization: 'required',
  introspectionAssertions: 'accepted',
  introspectionMembers: 'full',
  introspectionActive: 'truthful',
  introspectionUnknownToken: 'inactive',
  introspectionDescription: 'truthful',
  revocation: 'revokes',
  revocationUnknownToken: 'ok',
  revocationBody: 'empty',

  dpopHtm: 'checked',
  dpopHtu: 'checked',
  dpopIat: 'checked',
  dpopPrivateJwk: 'refused',
  dpopTyp: 'checked',
  dpopBinding: 'bound',
  dpopCnf: 'proof-key',
  dpopNonce: 'optional',
}

/** A named change of the server: one field of the policy, with what it is for. */
export interface Switch {
  description: string
  set: Partial<Policy>
}
