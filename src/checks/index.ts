/**
 * The closed vocabulary of checks a suite may name.
 *
 * @module
 */
import * as errorResponse from './error-response.ts'
import * as introspection from './introspection.ts'
import * as metadata from './metadata.ts'
import * as jwt from './jwt-access-token.ts'
import * as response from './response.ts'
import * as tokenResponse from './token-response.ts'
import type { AnyCheckDefinition } from './types.ts'

/** Every check, as written: the map below would silently keep only the last of two with one id. */
export const ALL_CHECKS: readonly AnyCheckDefinition[] = [
  response.statusIn,
  response.noTokenIssued,
  response.tokenOrError,
  response.observe,
  response.usesTls,
  response.endpointWithoutFragment,
  response.authMethodAdvertised,
  response.jsonUtf8,
  response.uniqueMembers,
  tokenResponse.jsonContentType,
  tokenResponse.hasAccessToken,
  tokenResponse.tokenType,
  tokenResponse.expiresInValid,
  tokenResponse.hasExpiresIn,
  tokenResponse.scopeEcho,
  tokenResponse.cacheControlNoStore,
  tokenResponse.pragmaNoCache,
  tokenResponse.noRefreshToken,
  tokenResponse.accessTokenEntropy,
  errorResponse.errorCode,
  errorResponse.wellFormed,
  errorResponse.basicChallenge,
  errorResponse.registeredCode,
  errorResponse.status400,
  jwt.signature,
  jwt.asymmetricSignature,
  jwt.typ,
  jwt.requiredClaims,
  jwt.issuerMatches,
  jwt.lifetime,
  jwt.expMatchesExpiresIn,
  jwt.clientId,
  jwt.subIdentifiesClient,
  jwt.kidFound,
  jwt.scopeClaim,
  jwt.cnfJkt,
  jwt.cnfX5t,
  introspection.active,
  introspection.describesToken,
  introspection.refusedWithoutAuthorization,
  introspection.revocationAccepted,
  introspection.cnfX5t,
  metadata.issuerIdentical,
  metadata.tokenEndpointPresent,
  metadata.grantTypesIncludeClientCredentials,
  metadata.noPasswordGrant,
  metadata.signingAlgsForJwtMethods,
  metadata.responseTypesPresent,
  metadata.jwksValid,
  metadata.endpointsOnNamedOrigins,
  metadata.mtlsMetadata,
]

export const CHECKS: ReadonlyMap<string, AnyCheckDefinition> = new Map(ALL_CHECKS.map((c) => [c.id, c]))
