/**
 * Named defects of the reference server. Each one overrides one field of the conformant policy
 * (policy.ts) and so breaks one behaviour a specification requires; `targets` names what it
 * exists to prove can fail: check ids, and the cases (`suite/case`) it is aimed at. A run with it
 * switched on must flip exactly the cases and checks fixtures/expected/reference.yaml lists.
 *
 * Answers the specifications allow are not defects: they are lawful variations (lawful.ts).
 *
 * @module
 */
import type { ClientAuthProfile } from '../schema/target.ts'
import type { Switch } from './policy.ts'

export interface DefectInfo extends Switch {
  /** The checks (ids) and cases (`suite/case`) this defect exists to catch. */
  targets: readonly string[]
  /**
   * The clientAuthProfile the defect is judged under, when it breaks a rule only a stricter
   * profile has (the reference target's is oidc).
   */
  clientAuthProfile?: ClientAuthProfile
}

/** What a broken signing key fails: the key set, and the signature made with it. */
const SIGNING_KEY_TARGETS = ['jwt-access-token.signature', 'metadata.jwks-valid', 'jwt-access-token/jwt-at-signature', 'metadata/metadata-jwks']

export const DEFECTS = {
  // Token response (RFC 6749 §5.1)
  'no-cache-headers': {
    description: 'token responses carry neither Cache-Control: no-store nor Pragma: no-cache',
    set: { cacheHeaders: false },
    targets: ['token-response.cache-control-no-store', 'token-response.pragma-no-cache', 'token-response/token-response-headers'],
  },
  'success-status-201': {
    description: 'token responses use HTTP 201 instead of 200',
    set: { tokenStatus: 201 },
    targets: ['response.status-in', 'token-response/token-response-headers'],
  },
  'token-response-utf16': {
    description: 'token responses are UTF-16LE with a byte order mark, labelled charset=utf-16',
    set: { tokenEncoding: 'utf-16le' },
    targets: ['response.json-utf8', 'token-response/token-response-json-text'],
  },
  'token-response-duplicate-token': {
    description: 'token responses write access_token twice',
    set: { duplicateMembers: 'access_token' },
    targets: ['response.unique-members', 'token-response/token-response-json-text'],
  },
  'token-response-duplicate-extension-member': {
    description: "token responses write a member of the server's own twice",
    set: { duplicateMembers: 'extension' },
    targets: ['response.unique-members', 'token-response/token-response-json-text'],
  },
  'success-text-plain': {
    description: 'token responses are labelled text/plain',
    set: { tokenContentType: 'text/plain' },
    targets: ['token-response.json-content-type', 'token-response/token-response-headers'],
  },
  'access-token-not-vschar': {
    description: 'the access token holds characters outside VSCHAR (RFC 6749 Appendix A.12)',
    set: { tokenFormat: 'not-vschar' },
    targets: ['token-response.has-access-token', 'token-response/token-response-members'],
  },
  'issues-refresh-token': {
    description: 'a refresh_token is issued with client credentials (RFC 6749 §4.4.3)',
    set: { refreshToken: true },
    targets: ['token-response.no-refresh-token', 'token-response/token-response-members'],
  },
  'expires-in-string': {
    description: 'expires_in is the string "3600" rather than a number',
    set: { expiresIn: 'string' },
    targets: ['token-response.expires-in-valid', 'token-response/token-response-members'],
  },
  'no-expires-in': {
    description: 'expires_in is omitted',
    set: { expiresIn: 'absent' },
    targets: ['token-response.has-expires-in', 'token-response/token-response-members'],
  },
  'token-type-mac': {
    description: 'token_type is "mac" for a bearer token',
    set: { tokenType: 'mac' },
    targets: ['token-response.token-type', 'token-response/token-response-members'],
  },
  'short-opaque-tokens': {
    description: 'access tokens are 16 hex characters: 64 bits (RFC 6749 §10.10)',
    set: { tokenFormat: 'short-opaque' },
    targets: ['token-response.access-token-entropy', 'token-response/access-token-entropy'],
  },
  'uuid-opaque-tokens': {
    description: 'access tokens are version-4 UUIDs: 122 random bits (RFC 6749 §10.10)',
    set: { tokenFormat: 'uuid' },
    targets: ['token-response.access-token-entropy', 'token-response/access-token-entropy'],
  },

  // Client authentication (RFC 6749 §2.3, §3.2.1, §5.2)
  'basic-unsupported': {
    description: 'HTTP Basic client authentication is refused (RFC 6749 §2.3.1: MUST be supported)',
    set: { basic: 'refused' },
    targets: ['client-authentication/basic-success'],
  },
  'basic-not-decoded': {
    description: 'Basic credentials are not form-urlencoding-decoded (RFC 6749 §2.3.1)',
    set: { basicDecoding: 'none' },
    targets: ['client-authentication/basic-special-characters'],
  },
  'malformed-basic-server-error': {
    description: 'Basic credentials that are not valid form-urlencoding make the server answer 500',
    set: { basicDecoding: 'strict' },
    targets: ['response.token-or-error', 'client-authentication/basic-special-characters-raw'],
  },
  'invalid-client-400-without-www-authenticate': {
    description: 'a failed Basic authentication gets 400 and no WWW-Authenticate (RFC 6749 §5.2 asks 401 + challenge)',
    set: { failedBasic: '400' },
    targets: ['error-response.invalid-client-basic-challenge', 'client-authentication/basic-wrong-secret', 'client-authentication/unknown-client'],
  },
  'accepts-any-secret': {
    description: 'any client secret is accepted for a known client',
    set: { secrets: 'any' },
    targets: ['response.no-token-issued', 'client-authentication/basic-wrong-secret', 'client-authentication/post-wrong-secret'],
  },
  'accepts-unknown-client': {
    description: 'an unknown client id gets a token',
    set: { unknownClients: 'accepted' },
    targets: ['response.no-token-issued', 'client-authentication/unknown-client'],
  },
  'post-unsupported': {
    description: 'client_secret_post is refused even for clients registered for it',
    set: { postMethod: 'refused' },
    targets: ['client-authentication/post-success'],
  },
  'unadvertised-method-accepted': {
    description: 'metadata advertises only client_secret_basic, yet client_secret_post works for every client',
    set: { postMethod: 'every-client-unadvertised' },
    targets: ['response.auth-method-advertised', 'client-authentication/post-success', 'client-authentication/other-than-registered-method'],
  },
  'accepts-missing-credentials': {
    description: 'a client_id without any secret gets a token (RFC 6749 §3.2.1)',
    set: { missingSecret: 'accepted' },
    targets: ['response.no-token-issued', 'client-authentication/no-credentials'],
  },
  'accepts-two-auth-methods': {
    description: 'Basic and body credentials at once are accepted (RFC 6749 §2.3, §5.2)',
    set: { twoMethods: 'accepted' },
    targets: ['response.no-token-issued', 'client-authentication/basic-and-post'],
  },
  'accepts-query-credentials': {
    description: 'credentials in the query string are accepted (RFC 6749 §2.3.1)',
    set: { queryCredentials: 'accepted' },
    targets: ['response.no-token-issued', 'client-authentication/credentials-in-query'],
  },
  'unregistered-error-code': {
    description: 'failed client authentication is reported as "invalid_credentials"',
    set: { clientAuthErrorCode: 'invalid_credentials' },
    targets: ['error-response.registered-code', 'error-response.error-code'],
  },

  // Request handling (RFC 6749 §3.2, §4.4.2, §5.2)
  'plain-http-endpoint': {
    description: 'metadata names an http: token endpoint (RFC 6749 §3.2 requires TLS)',
    set: { tokenEndpoint: 'plain-http' },
    targets: ['request.uses-tls', 'request/tls-required'],
  },
  'token-endpoint-fragment': {
    description: 'metadata names a token endpoint with a fragment (RFC 6749 §3.2 MUST NOT)',
    set: { tokenEndpoint: 'with-fragment' },
    targets: ['request.endpoint-without-fragment', 'request/token-endpoint-no-fragment', 'metadata/metadata-token-endpoint'],
  },
  'accepts-get': {
    description: 'GET requests get tokens (RFC 6749 §3.2)',
    set: { getRequests: 'accepted' },
    targets: ['request/get-request'],
  },
  'missing-grant-type-defaults': {
    description: 'a request without grant_type is treated as client_credentials',
    set: { missingGrantType: 'client_credentials' },
    targets: ['request/missing-grant-type'],
  },
  'unknown-grant-type-invalid-request': {
    description: 'an unknown grant type gets invalid_request, not unsupported_grant_type',
    set: { unknownGrantType: 'invalid_request' },
    targets: ['error-response.error-code', 'request/unknown-grant-type'],
  },
  'ignores-client-grant-types': {
    description: 'a client not allowed the client credentials grant gets a token anyway',
    set: { clientGrantTypes: 'ignored' },
    targets: ['request/grant-not-allowed'],
  },
  'accepts-duplicate-parameters': {
    description: 'repeated grant_type and scope are accepted (RFC 6749 §3.2)',
    set: { repeatedParameters: 'accepted' },
    targets: ['request/duplicate-grant-type', 'request/duplicate-scope'],
  },
  'rejects-unknown-parameters': {
    description: 'an unrecognized parameter gets invalid_request (RFC 6749 §3.2: must be ignored)',
    set: { unknownParameters: 'refused' },
    targets: ['request/unknown-parameter-ignored', 'request/duplicate-unknown-parameter'],
  },
  'empty-scope-invalid-request': {
    description: 'scope= (empty) gets invalid_request instead of being treated as omitted',
    set: { emptyScope: 'invalid_request' },
    targets: ['request/empty-scope'],
  },
  'empty-scope-grants-client-scopes': {
    description: 'scope= (empty) grants every scope the client may have, where an omitted scope grants the default (RFC 6749 §3.2: treated as omitted)',
    set: { emptyScope: 'all-client-scopes' },
    targets: ['request.empty-scope-same-grant', 'request/empty-scope'],
  },
  'empty-scope-invalid-scope': {
    description: 'scope= (empty) gets invalid_scope while an omitted scope gets the default grant (RFC 6749 §3.2: the same answer)',
    set: { emptyScope: 'invalid_scope' },
    targets: ['request.empty-scope-same-status', 'request.empty-scope-same-error', 'request/empty-scope'],
  },
  'redirect-uri-server-error': {
    description: 'a redirect_uri parameter makes the server answer 500',
    set: { redirectUri: 'server-error' },
    targets: ['response.token-or-error', 'request/redirect-uri-unregistered', 'request/redirect-uri-registered'],
  },

  // Scope (RFC 6749 §3.3)
  'valid-scope-refused': {
    description: 'a valid scope the client may have is refused with invalid_scope',
    set: { validScopes: 'refused' },
    targets: ['scope/scope-valid', 'scope/scope-multiple', 'scope/scope-order'],
  },
  'grants-default-scope-without-echo': {
    description: 'every request gets the default scopes, and the response does not say so (RFC 6749 §3.3)',
    set: { scopeGrant: 'default' },
    targets: ['token-response.scope-echo', 'scope/scope-multiple', 'scope/scope-unknown'],
  },
  'grants-first-scope-only': {
    description: 'only the first requested scope is granted, and the response does not say so',
    set: { scopeGrant: 'first-only' },
    targets: ['token-response.scope-echo', 'scope/scope-multiple', 'scope/scope-narrowed'],
  },
  'grants-restricted-scope': {
    description: 'scopes the client is not allowed are granted anyway',
    set: { scopeGrant: 'with-restricted' },
    targets: ['scope.restricted-not-granted', 'scope/scope-restricted', 'scope/scope-narrowed'],
  },
  'scope-order-sensitive': {
    description: "scopes not in the server's order are refused (RFC 6749 §3.3: order does not matter)",
    set: { scopeOrder: 'configured' },
    targets: ['scope/scope-order'],
  },
  'scope-order-changes-grant': {
    description: "scopes not in the server's order get only the first of them, announced (RFC 6749 §3.3: order does not matter)",
    set: { scopeGrant: 'order-dependent' },
    targets: ['scope.order-same-grant', 'scope/scope-order'],
  },
  'omits-scope-when-narrowed': {
    description: 'a narrowed grant is not announced in scope (RFC 6749 §3.3)',
    set: { scopeMember: 'when-identical' },
    targets: ['token-response.scope-echo', 'scope/scope-narrowed'],
  },
  'missing-scope-invalid-request': {
    description: 'a request without scope gets invalid_request, not a default grant or invalid_scope (RFC 6749 §3.3)',
    set: { missingScope: 'invalid_request' },
    targets: ['response.token-or-error', 'scope/scope-omitted'],
  },
  'grants-unknown-scope': {
    description: 'a scope the server does not define is granted, and announced, as if it existed',
    set: { unknownScopes: 'granted' },
    targets: ['scope.unknown-not-granted', 'scope/scope-unknown'],
  },
  'unknown-scope-server-error': {
    description: 'an unknown scope makes the server answer 500',
    set: { unknownScopes: 'server-error' },
    targets: ['response.token-or-error', 'scope/scope-unknown'],
  },

  // Error responses (RFC 6749 §5.2)
  'error-text-plain': {
    description: 'error responses are plain text, not JSON',
    set: { errorFormat: 'text' },
    targets: ['error-response.well-formed', 'request/json-body'],
  },
  'error-status-403': {
    description: 'error responses other than invalid_client use HTTP 403',
    set: { errorStatus: 403 },
    targets: ['error-response.status-400', 'request/missing-grant-type', 'scope/scope-unknown', 'scope/scope-restricted'],
  },
  'error-description-bad-chars': {
    description: 'error_description contains a double quote (RFC 6749 §5.2 excludes it)',
    set: { errorDescription: 'with-quote' },
    targets: ['error-response.well-formed', 'request/json-body'],
  },

  // Client assertions (RFC 7521, RFC 7523, OpenID Connect Core §9)
  'rsa-keys-unsupported': {
    description: 'private_key_jwt works only with EC keys',
    set: { rsaKeys: 'refused' },
    targets: ['jwt-client-authentication/private-key-jwt-rsa'],
  },
  'ec-keys-unsupported': {
    description: 'private_key_jwt works only with RSA keys',
    set: { ecKeys: 'refused' },
    targets: ['jwt-client-authentication/private-key-jwt-ec'],
  },
  'client-secret-jwt-unsupported': {
    description: 'client_secret_jwt is refused for clients registered for it',
    set: { clientSecretJwt: 'refused' },
    targets: ['jwt-client-authentication/client-secret-jwt'],
  },
  'assertion-issuer-aud-refused': {
    description: 'only the token endpoint URL is accepted as assertion audience, not the issuer',
    set: { assertionAudiences: 'token-endpoint-only' },
    targets: ['client-assertion/aud-issuer', 'client-assertion/aud-at-introspection', 'client-assertion/aud-at-revocation'],
  },
  'assertion-aud-token-endpoint-accepted': {
    description: 'assertions for the token endpoint URL (or for the endpoint they are sent to) are accepted, as before rfc7523bis',
    set: { assertionAudiences: 'legacy' },
    targets: [
      'response.no-token-issued',
      'client-assertion.introspection-refused',
      'client-assertion.revocation-refused',
      'client-assertion/aud-token-endpoint',
      'client-assertion/aud-issuer-and-token-endpoint',
      'client-assertion/aud-at-introspection',
      'client-assertion/aud-at-revocation',
    ],
    clientAuthProfile: 'rfc7523bis',
  },
  'assertion-aud-extra-members-accepted': {
    description: 'an audience list that includes the issuer is accepted whatever else it holds',
    set: { assertionAudiences: 'extra-members' },
    targets: ['client-assertion/aud-issuer-and-token-endpoint'],
    clientAuthProfile: 'rfc7523bis',
  },
  'assertion-aud-compared-as-urls': {
    description: 'audiences are compared as URLs, so the issuer with a trailing slash, in upper case or with its default port passes (RFC 3986 §6.2.1 asks for simple string comparison)',
    set: { assertionAudiences: 'normalized' },
    targets: ['client-assertion/aud-issuer-slash', 'client-assertion/aud-issuer-upper', 'client-assertion/aud-issuer-port'],
    clientAuthProfile: 'rfc7523bis',
  },
  'assertion-aud-array-refused': {
    description: 'an audience of the issuer in a one-member array is refused (rfc7523bis allows it)',
    set: { assertionAudiences: 'string-only' },
    targets: ['client-assertion/aud-issuer-array'],
    clientAuthProfile: 'rfc7523bis',
  },
  'assertion-untyped-refused': {
    description: 'assertions without typ client-authentication+jwt are refused (NOT RECOMMENDED by rfc7523bis)',
    set: { assertionTyp: 'required' },
    targets: ['client-assertion/typ-none', 'client-assertion/typ-jwt'],
  },
  'assertion-typed-refused': {
    description: 'assertions typed client-authentication+jwt are refused: only untyped or JWT-typed ones pass',
    set: { assertionTyp: 'untyped-only' },
    targets: ['client-assertion/typ-client-authentication', 'client-assertion/typ-client-authentication-media-type'],
  },
  'assertion-typ-media-type-form-refused': {
    description: 'client-authentication+jwt is accepted, but not its media type form application/client-authentication+jwt (RFC 7515 §4.1.9: the same type)',
    set: { assertionTyp: 'short-form-only' },
    targets: ['client-assertion/typ-client-authentication-media-type'],
  },
  'assertion-foreign-typ-accepted': {
    description: 'JWTs typed for another purpose (at+jwt, dpop+jwt, …) are accepted as client assertions (RFC 8725 §3.11)',
    set: { assertionTyp: 'any' },
    targets: ['client-assertion/typ-access-token', 'client-assertion/typ-dpop-proof', 'client-assertion/typ-client-attestation-pop'],
  },
  'assertion-clock-unbounded': {
    description: 'an assertion may be issued any time ahead and live any time (iat and lifetime unchecked)',
    set: { assertionIatAndLifetime: 'unchecked' },
    targets: ['client-assertion/iat-ahead-window', 'client-assertion/lifetime-window'],
  },
  'assertion-audience-refused-empty-403': {
    description: 'an assertion for an audience the server does not take is refused with a bare 403, no error response (RFC 6749 §5.2, RFC 7523 §3.2)',
    set: { assertionAudienceRefusal: 'empty-403' },
    targets: [
      'client-assertion/aud-token-endpoint',
      'client-assertion/aud-issuer-and-token-endpoint',
      'client-assertion/aud-issuer-slash',
      'client-assertion/aud-issuer-upper',
      'client-assertion/aud-issuer-port',
      'jwt-client-authentication/assertion-wrong-aud',
    ],
  },
  'assertion-replay-per-endpoint': {
    description: 'a jti spent at one endpoint is accepted again at another',
    set: { assertionReplayScope: 'per-endpoint' },
    targets: ['client-assertion.replay-refused', 'client-assertion/replay-across-endpoints'],
  },
  'assertion-aud-unchecked': {
    description: 'client assertions are accepted whatever their aud (RFC 7523 §3)',
    set: { assertionAudiences: 'any' },
    targets: ['jwt-client-authentication/assertion-wrong-aud'],
  },
  'assertion-exp-unchecked': {
    description: 'expired client assertions are accepted (RFC 7523 §3)',
    set: { assertionExpiry: 'unchecked' },
    targets: ['jwt-client-authentication/assertion-expired', 'client-assertion/exp-past-window'],
  },
  'assertion-nbf-unchecked': {
    description: 'client assertions are accepted before their nbf (RFC 7523 §3)',
    set: { assertionNotBefore: 'unchecked' },
    targets: ['jwt-client-authentication/assertion-not-yet-valid', 'client-assertion/nbf-ahead-window'],
  },
  'assertion-alg-none-accepted': {
    description: 'unsigned (alg none) client assertions are accepted',
    set: { unsignedAssertions: 'accepted' },
    targets: ['jwt-client-authentication/assertion-alg-none'],
  },
  'assertion-signature-unchecked': {
    description: 'client assertion signatures are not verified',
    set: { assertionSignatures: 'unchecked' },
    targets: ['jwt-client-authentication/assertion-bad-signature', 'jwt-client-authentication/assertion-unregistered-key'],
  },
  'assertion-sub-unchecked': {
    description: 'an assertion whose sub is not the client is accepted',
    set: { assertionSubject: 'unchecked' },
    targets: ['jwt-client-authentication/assertion-sub-mismatch'],
  },
  'assertion-iss-unchecked': {
    description: 'an assertion whose iss is not the client is accepted (OpenID Connect Core §9)',
    set: { assertionIssuer: 'unchecked' },
    targets: ['jwt-client-authentication/assertion-iss-mismatch'],
  },
  'assertion-client-id-unchecked': {
    description: 'a body client_id that contradicts the assertion is ignored (RFC 7521 §4.2)',
    set: { assertionBodyClientId: 'unchecked' },
    targets: ['jwt-client-authentication/assertion-client-id-mismatch'],
  },
  'assertion-alg-confusion': {
    description: "an HS256 assertion is verified with the client's public key as the HMAC secret",
    set: { hmacWithPublicKey: 'verified-with-public-key' },
    targets: ['jwt-client-authentication/assertion-hmac-with-public-key'],
  },
  'assertion-replay-allowed': {
    description: 'an assertion can be used more than once (OpenID Connect Core §9)',
    set: { assertionReplay: 'accepted' },
    targets: ['jwt-client-authentication/assertion-replayed'],
  },
  'assertion-type-optional': {
    description: 'a client_assertion without client_assertion_type is accepted',
    set: { assertionType: 'optional' },
    targets: ['jwt-client-authentication/assertion-type-missing'],
  },

  // JWT access tokens (RFC 9068)
  'jwt-typ-jwt': {
    description: 'JWT access tokens have typ "JWT", not "at+jwt" (RFC 9068 §2.1)',
    set: { jwtTyp: 'JWT' },
    targets: ['jwt-access-token.typ', 'jwt-access-token/jwt-at-typ'],
  },
  'jwt-claims-missing': {
    description: 'JWT access tokens lack the client_id and jti claims (RFC 9068 §2.2); a "uti" keeps them unique',
    set: { jwtClientIdAndJti: 'missing' },
    targets: ['jwt-access-token.required-claims', 'jwt-access-token/jwt-at-required-claims'],
  },
  'jwt-wrong-issuer': {
    description: 'JWT access tokens carry an iss other than the issuer',
    set: { jwtIssuer: 'other' },
    targets: ['jwt-access-token.iss-matches-issuer', 'jwt-access-token/jwt-at-issuer'],
  },
  'jwt-bad-signature': {
    description: 'JWT access tokens are signed with a key not in the JWKS',
    set: { jwtSigningKey: 'unpublished' },
    targets: ['jwt-access-token.signature', 'jwt-access-token/jwt-at-signature'],
  },
  'jwt-lifetime-mismatch': {
    description: 'JWT access tokens live 24 h while expires_in says 1 h',
    set: { jwtLifetime: 'day' },
    targets: ['jwt-access-token.exp-matches-expires-in', 'jwt-access-token/jwt-at-lifetime'],
  },
  'jwt-already-expired': {
    description: 'JWT access tokens expired an hour before they were issued',
    set: { jwtLifetime: 'expired' },
    targets: ['jwt-access-token.lifetime', 'jwt-access-token/jwt-at-lifetime'],
  },
  'jwt-wrong-client-id': {
    description: 'JWT access tokens name another client in client_id and sub',
    set: { jwtClient: 'other' },
    targets: ['jwt-access-token.client-id', 'jwt-access-token.sub-identifies-client', 'jwt-access-token/jwt-at-client'],
  },
  'jwt-no-kid': {
    description: 'JWT access tokens carry no kid, while the JWKS holds five keys (OpenID Connect Core §10.1: a kid MUST be given when there are several)',
    set: { jwtKid: 'absent', jwksExtraKeys: true },
    targets: ['jwt-access-token.kid-found', 'jwt-access-token/jwt-at-kid'],
  },
  'jwt-hmac-signed': {
    description: 'JWT access tokens are signed HS256 with a secret of the server: no resource server can verify them without it (RFC 9068 §2.1 RECOMMENDS asymmetric cryptography)',
    set: { jwtAlg: 'HS256' },
    targets: ['jwt-access-token.asymmetric-signature', 'jwt-access-token/jwt-at-asymmetric'],
  },
  'jwt-unknown-kid': {
    description: 'JWT access tokens name a kid the JWKS does not publish',
    set: { jwtKid: 'unknown' },
    targets: ['jwt-access-token.kid-found', 'jwt-access-token/jwt-at-kid'],
  },
  'jwt-no-scope-claim': {
    description: 'JWT access tokens carry no scope claim (RFC 9068 §2.2.3)',
    set: { jwtScopeClaim: 'absent' },
    targets: ['jwt-access-token.scope-claim', 'jwt-access-token/jwt-at-scope-claim'],
  },
  'jwt-scope-claim-differs': {
    description: "the JWT's scope claim lists every scope the client may have, not the scopes granted",
    set: { jwtScopeClaim: 'client-scopes' },
    targets: ['jwt-access-token.scope-claim', 'jwt-access-token/jwt-at-scope-claim'],
  },

  // Metadata (RFC 8414) and the JWKS
  'metadata-rfc8414-wrong-issuer': {
    description: 'the RFC 8414 document names another issuer (the OpenID one is right, so discovery still works)',
    set: { rfc8414Issuer: 'other' },
    targets: ['metadata.issuer-identical', 'metadata/metadata-issuer'],
  },
  'metadata-relative-token-endpoint': {
    description: 'the metadata names its token endpoint as a relative reference',
    set: { tokenEndpoint: 'relative' },
    targets: ['metadata.token-endpoint-present', 'metadata/metadata-token-endpoint'],
  },
  'metadata-no-client-credentials-grant': {
    description: 'grant_types_supported is omitted (its default excludes client_credentials)',
    set: { grantTypesSupported: 'omitted' },
    targets: ['metadata.grant-types-include-client-credentials', 'metadata/metadata-grant-types'],
  },
  'metadata-offers-password': {
    description: 'grant_types_supported offers the password grant (RFC 9700 §2.4)',
    set: { grantTypesSupported: 'with-password' },
    targets: ['metadata.no-password-grant', 'metadata/metadata-grant-types'],
  },
  'metadata-no-signing-algs': {
    description: 'JWT client authentication is advertised without signing algorithms (RFC 8414 §2)',
    set: { signingAlgs: 'absent' },
    targets: ['metadata.signing-algs-for-jwt-methods', 'metadata/metadata-signing-algs'],
  },
  'metadata-signing-alg-none': {
    description: 'token_endpoint_auth_signing_alg_values_supported lists "none" (RFC 8414 §2: MUST NOT)',
    set: { signingAlgs: 'with-none' },
    targets: ['metadata.signing-algs-for-jwt-methods', 'metadata/metadata-signing-algs'],
  },
  'metadata-no-response-types': {
    description: 'response_types_supported is omitted',
    set: { responseTypesAdvertised: false },
    targets: ['metadata.response-types-present', 'metadata/metadata-response-types'],
  },
  'metadata-foreign-endpoints': {
    description: 'the metadata advertises its introspection and revocation endpoints and jwks_uri on another origin',
    set: { endpointsOrigin: 'elsewhere' },
    targets: ['metadata.endpoints-on-named-origins', 'metadata/metadata-endpoints-on-named-origins'],
  },
  'jwks-publishes-private-key': {
    description: 'the JWKS publishes the private signing key',
    set: { jwksKey: 'private' },
    targets: ['metadata.jwks-valid', 'metadata/metadata-jwks'],
  },
  // Keys judged before they are trusted (issue 24). Each defect that breaks the key tokens are
  // signed with also pins jwtAlg to that key's algorithm, so no lawful variation (jwt-es256) signs
  // with another key and hides it from jwt-access-token.signature (test/_sampler.ts: switches that
  // set one field differently do not go together).
  'jwks-rsa-1024': {
    description: 'JWT access tokens are signed with a 1024-bit RSA key, the one the JWKS publishes (RFC 7518 §3.3: a key of 2048 bits or larger MUST be used)',
    set: { jwksKey: 'rsa-1024', jwtAlg: 'RS256' },
    targets: SIGNING_KEY_TARGETS,
  },
  'jwks-rsa-exponent-1': {
    description:
      'the JWKS publishes the RSA signing key with e = 1, and tokens are "signed" with the encoded message itself, which verifies with that key: anyone could sign them (RFC 8017 §3.1: 3 ≤ e)',
    set: { jwksKey: 'rsa-exponent-1', jwtAlg: 'RS256' },
    targets: SIGNING_KEY_TARGETS,
  },
  'jwks-rsa-even-exponent': {
    description: 'the JWKS publishes the RSA signing key with the even exponent 65536 (RFC 8017 §3.1: GCD(e, λ(n)) = 1); tokens are signed with the real key',
    set: { jwksKey: 'rsa-even-exponent', jwtAlg: 'RS256' },
    targets: SIGNING_KEY_TARGETS,
  },
  'jwks-ec-off-curve': {
    description: 'JWT access tokens are signed ES256 while the JWKS publishes their key with a point that is not on P-256 (RFC 7518 §6.2.1)',
    set: { jwksKey: 'ec-off-curve', jwtAlg: 'ES256' },
    targets: SIGNING_KEY_TARGETS,
  },
  'jwks-alg-mismatch': {
    description: 'the JWKS publishes the RSA signing key with alg ES256 (RFC 7517 §4.4, RFC 7518 §3.1: ES256 is an EC P-256 algorithm)',
    set: { jwksKey: 'alg-mismatch', jwtAlg: 'RS256' },
    targets: SIGNING_KEY_TARGETS,
  },
  'jwks-symmetric-key': {
    description: 'the JWKS publishes, beside the signing key, the shared secret (kty oct) the server signs HS256 tokens with: a key set at jwks_uri is public (RFC 8414 §2)',
    set: { jwksKey: 'with-symmetric' },
    targets: ['metadata.jwks-valid', 'metadata/metadata-jwks'],
  },

  // Introspection (RFC 7662) and revocation (RFC 7009)
  'introspection-reports-inactive': {
    description: 'introspection says every token is inactive',
    set: { introspectionActive: 'never' },
    targets: ['introspection.active', 'introspection/introspect-issued-token'],
  },
  'introspection-open': {
    description: 'introspection answers without client authentication (RFC 7662 §2.1)',
    set: { introspectionAuthorization: 'none' },
    targets: ['introspection.requires-authorization', 'introspection/introspect-without-authorization'],
  },
  'introspection-unknown-token-error': {
    description: 'introspecting an unknown token gets a 400 instead of active: false',
    set: { introspectionUnknownToken: 'error' },
    targets: ['introspection.active', 'introspection/introspect-garbage-token'],
  },
  'introspection-wrong-client-id': {
    description: 'introspection names another client_id',
    set: { introspectionDescription: 'other-client' },
    targets: ['introspection.describes-token', 'introspection/introspect-issued-token'],
  },
  'introspection-wrong-scope': {
    description: 'introspection names a scope the token was not granted',
    set: { introspectionDescription: 'other-scope' },
    targets: ['introspection.describes-token', 'introspection/introspect-issued-token'],
  },
  'revocation-ignored': {
    description: 'revocation answers 200 but the token stays active',
    set: { revocation: 'ignored' },
    targets: ['introspection/revoke-issued-token'],
  },
  'revocation-unknown-token-error': {
    description: 'revoking an unknown token gets a 400 (RFC 7009 §2.2 asks 200)',
    set: { revocationUnknownToken: 'error' },
    targets: ['revocation.accepted', 'introspection/revoke-garbage-token'],
  },

  // Resource indicators (RFC 8707) and audience
  'resource-not-in-aud': {
    description: 'the resource parameter does not restrict the token audience (RFC 8707 §2)',
    set: { resourceInAud: false },
    targets: ['jwt-access-token.aud-includes-resource', 'resource/resource-audience'],
  },
  'audience-not-in-aud': {
    description: 'the audience parameter does not restrict the token audience',
    set: { audienceInAud: false },
    targets: ['jwt-access-token.aud-includes-audience', 'resource/audience-parameter'],
  },
  'resource-unvalidated': {
    description: 'malformed resources (fragment, relative) are accepted (RFC 8707 §2)',
    set: { resources: 'unvalidated' },
    targets: ['resource/resource-fragment', 'resource/resource-relative'],
  },

  // DPoP (RFC 9449)
  'dpop-unbound': {
    description: 'a valid DPoP proof still gets an unbound Bearer token',
    set: { dpopBinding: 'unbound' },
    targets: ['dpop/dpop-bound-token'],
  },
  'dpop-no-cnf': {
    description: 'DPoP tokens are announced but their JWT has no cnf.jkt (RFC 9449 §6.1)',
    set: { dpopCnf: 'absent' },
    targets: ['jwt-access-token.cnf-jkt', 'dpop/dpop-bound-token'],
  },
  'dpop-cnf-other-key': {
    description: "DPoP tokens are bound (cnf.jkt) to another key than the proof's (RFC 9449 §6.1)",
    set: { dpopCnf: 'other-key' },
    targets: ['jwt-access-token.cnf-jkt', 'dpop/dpop-bound-token'],
  },
  'dpop-htm-unchecked': { description: 'DPoP proofs are accepted for another HTTP method', set: { dpopHtm: 'unchecked' }, targets: ['dpop/dpop-wrong-htm'] },
  'dpop-htu-unchecked': { description: 'DPoP proofs are accepted for another URL', set: { dpopHtu: 'unchecked' }, targets: ['dpop/dpop-wrong-htu'] },
  'dpop-iat-unchecked': {
    description: 'DPoP proofs are accepted whatever their iat, old or ahead',
    set: { dpopIat: 'unchecked' },
    targets: ['dpop/dpop-old-proof', 'client-assertion/dpop-iat-ahead-window', 'client-assertion/dpop-iat-past-window'],
  },
  'dpop-private-jwk-accepted': {
    description: 'DPoP proofs whose jwk holds a private key are accepted',
    set: { dpopPrivateJwk: 'accepted' },
    targets: ['dpop/dpop-private-key-in-jwk'],
  },
  'dpop-typ-unchecked': { description: 'DPoP proofs with typ other than dpop+jwt are accepted', set: { dpopTyp: 'unchecked' }, targets: ['dpop/dpop-wrong-typ'] },

  // Mutual TLS (RFC 8705)
  'mtls-aliases-relative': {
    description: 'mtls_endpoint_aliases holds relative paths, not URLs (RFC 8705 §5)',
    set: { mtlsAliases: 'relative' },
    targets: ['metadata.mtls', 'mtls/mtls-metadata'],
  },
  'mtls-any-certificate-accepted': {
    description: 'tls_client_auth takes any certificate: neither its chain nor its subject is checked (RFC 8705 §2.1)',
    set: { mtlsCertificates: 'any' },
    targets: ['mtls/other-client-certificate'],
  },
  'mtls-subject-dn-encoding-order': {
    description: 'the registered subject DN is compared in encoding order, not as RFC 4514 writes it, so the registered certificate is refused',
    set: { mtlsSubjectOrder: 'encoding-order' },
    targets: ['mtls/tls-client-auth'],
  },
  'mtls-self-signed-key-unchecked': {
    description: "self_signed_tls_client_auth takes any certificate: its key is not compared with the client's JWKS (RFC 8705 §2.2)",
    set: { mtlsSelfSigned: 'key-unchecked' },
    targets: ['mtls/self-signed-key-not-registered'],
  },
  'mtls-self-signed-unsupported': {
    description: 'self_signed_tls_client_auth is not supported (nor advertised)',
    set: { mtlsSelfSigned: 'unsupported' },
    targets: ['mtls/self-signed-tls-client-auth'],
  },
  'mtls-missing-certificate-accepted': {
    description: 'a tls_client_auth client without a certificate is taken on its client_id (RFC 8705 §2)',
    set: { mtlsMissingCertificate: 'accepted' },
    targets: ['mtls/no-certificate'],
  },
  'mtls-with-basic-accepted': {
    description: 'a certificate and Basic credentials together are accepted, the certificate authenticating (RFC 6749 §2.3)',
    set: { mtlsWithOtherMethod: 'accepted' },
    targets: ['mtls/certificate-and-basic'],
  },
  'mtls-token-unbound': {
    description: 'tokens issued over mutual TLS are not bound to the certificate, though the metadata advertises bound tokens (RFC 8705 §3)',
    set: { mtlsBinding: 'unbound' },
    targets: ['mtls/bound-token'],
  },
  'mtls-token-other-certificate': {
    description: 'tokens issued over mutual TLS carry the thumbprint of another certificate (RFC 8705 §3.1)',
    set: { mtlsBinding: 'other-certificate' },
    targets: ['jwt-access-token.cnf-x5t', 'introspection.cnf-x5t', 'mtls/bound-token', 'mtls/bound-token-introspection'],
  },
  'mtls-introspection-without-cnf': {
    description: 'introspection of a certificate-bound token leaves out its cnf (RFC 8705 §3.2)',
    set: { mtlsIntrospectionCnf: 'omitted' },
    targets: ['mtls/bound-token-introspection'],
  },
} as const satisfies Record<string, DefectInfo>

export type Defect = keyof typeof DEFECTS

export function isDefect(name: string): name is Defect {
  return Object.hasOwn(DEFECTS, name)
}
