/**
 * Checks on an access token that is a JWT. RFC 6749 leaves the format open, so every check here
 * is not applicable to an opaque token.
 *
 * @see [RFC 9068](https://www.rfc-editor.org/rfc/rfc9068.html)
 * @module
 */
import { compactVerify, importJWK, type JWK } from 'jose'
import { keyName, keyProblems, keyTypesFor, publicParameters } from './jwk-rules.ts'
import { bodyObject, fails, holds, noArgs, notApplicable, sameSet, scopeSet, showValue, tokenScopeClaim, x5tArgs, x5tVerdict } from './_util.ts'
import { defineCheck, type CheckInput, type DecodedToken } from './types.ts'
import { declaresAtJwt } from './when.ts'

/** Allowed clock skew when judging exp, iat, nbf. */
const SKEW_SEC = 60

/** Why a claim RFC 9068 requires is not judged in a JWT that does not declare RFC 9068. */
const PLAIN_JWT = (claim: string) => `no ${claim} claim, in a JWT that does not declare typ at+jwt: ${claim} is OPTIONAL in a JWT (RFC 7519 §4.1), only RFC 9068 requires it`

type JwtInput = CheckInput & { token: { value: string; jwt: DecodedToken } }

function jwtOf(input: CheckInput): JwtInput | string {
  if (!input.token) return 'no access token was issued'
  if (!input.token.jwt) return 'the access token is opaque, not a JWT (RFC 6749 leaves the format open)'
  return input as JwtInput
}

/** Why a shared-secret signature is not judged here, unless the JWKS publishes the secret. */
const SHARED_SECRET = (alg: string) => `alg ${alg}: signed with a shared secret, which only its holders can verify, never through a JWKS`

/** Whether a JWS verifies with one JWK: true, or what jose said. Only the signature: the claims are the other checks' business. */
async function verifiesWith(token: string, jwk: Record<string, unknown>, alg: string): Promise<true | string> {
  try {
    await compactVerify(token, await importJWK(jwk as JWK, alg))
    return true
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

/**
 * The published keys a JWS header points to, with their places in the set: those with its kid
 * (jose and resource servers select by kid), or without a kid every key of a kty that can carry
 * the alg and not marked for encryption.
 */
function keysFor(keys: ReadonlyArray<Record<string, unknown>>, kid: unknown, fits: (k: Record<string, unknown>) => boolean) {
  // A set read from the network may hold anything: only objects are keys.
  const indexed = keys.map((jwk, index) => ({ jwk, index })).filter((k) => k.jwk !== null && typeof k.jwk === 'object' && !Array.isArray(k.jwk))
  return typeof kid === 'string' ? indexed.filter((k) => k.jwk.kid === kid) : indexed.filter((k) => fits(k.jwk) && k.jwk.use !== 'enc')
}

/**
 * The signature, and the key behind it. Which key is judged: the one the header points to (its
 * kid, or each key that could verify the alg when there is none), not the rest of the set, which
 * is metadata.jwks-valid's business. A key that breaks a rule of jwk-rules.ts never makes a pass,
 * whether or not the signature verifies with it (RFC 7517 §5: implementations SHOULD ignore JWKs
 * "for which values are out of the supported ranges"), and the reason names the key and the rule
 * before anything jose says (jose's own refusal of a short RSA key, say).
 *
 * @see [RFC 9068 §4](https://www.rfc-editor.org/rfc/rfc9068.html#section-4)
 * @see [RFC 7517 §5](https://www.rfc-editor.org/rfc/rfc7517.html#section-5)
 */
export const signature = defineCheck({
  id: 'jwt-access-token.signature',
  summary: "The JWT access token is signed (not alg none) and verifies against the issuer's JWKS, with a key that breaks no rule for published keys.",
  args: noArgs,
  needsJwks: true,
  async run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const expected = 'a JWS with alg ≠ none that verifies with a key from the JWKS, a key fit to be trusted'
    const { alg, kid } = t.token.jwt.header
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') return fails(expected, `alg ${JSON.stringify(alg)}`, '"JWT access tokens MUST NOT use \'none\'" (RFC 9068 §2.1)')
    const actual = `alg ${alg}, kid ${JSON.stringify(kid)}`
    const shared = alg.startsWith('HS')
    if (!input.jwks) return notApplicable(shared ? SHARED_SECRET(alg) : 'the target publishes no jwks_uri, so the signature cannot be verified')
    if ('notFetched' in input.jwks) return notApplicable(shared ? SHARED_SECRET(alg) : input.jwks.notFetched)
    if ('error' in input.jwks) return shared ? notApplicable(SHARED_SECRET(alg)) : fails(expected, input.jwks.error, `the JWKS could not be read: ${input.jwks.error}`)
    const token = t.token.value
    if (shared) {
      // A shared secret is lawful (RFC 9068 §2.1 only RECOMMENDS asymmetric keys), but not one the
      // JWKS publishes: what is at jwks_uri is public (RFC 8414 §2), so anyone can sign.
      for (const k of keysFor(input.jwks.keys, kid, (j) => j.kty === 'oct'))
        if (k.jwk.kty === 'oct' && (await verifiesWith(token, k.jwk, alg)) === true)
          return fails(
            expected,
            `${actual}: verifies with the published ${keyName(k.jwk, k.index)}`,
            `signed with a shared secret the JWKS publishes (${keyName(k.jwk, k.index)}): a key set at jwks_uri is public (RFC 8414 §2), so anyone can sign such a token`,
          )
      return notApplicable(SHARED_SECRET(alg))
    }
    const ktys = keyTypesFor(alg)
    const fits = (k: Record<string, unknown>) => !ktys || ktys.includes(String(k.kty))
    const named = keysFor(input.jwks.keys, kid, fits)
    if (!named.length) return fails(expected, actual, typeof kid === 'string' ? `no published key has kid ${JSON.stringify(kid)}` : `no published key can verify alg ${alg}`)
    const judged = named.map((k) => ({ ...k, problems: keyProblems(k.jwk) }))
    let refusal = ''
    for (const k of judged.filter((j) => !j.problems.length && fits(j.jwk))) {
      const verified = await verifiesWith(token, k.jwk, alg)
      if (verified === true) return holds(expected, actual, `signature verified with ${keyName(k.jwk, k.index)}`)
      refusal = verified
    }
    const bad = judged.filter((j) => j.problems.length)
    if (bad.length) {
      // Said whether or not the signature verifies with the key: with e = 1 it does, and anyone could have made it.
      const said = await Promise.all(
        bad.map(async (k) => {
          const verified = fits(k.jwk) && (await verifiesWith(token, publicParameters(k.jwk), alg)) === true
          return `${verified ? 'it verifies with' : 'the key for it is'} ${keyName(k.jwk, k.index)}, which ${k.problems.join('; ')}`
        }),
      )
      return fails(expected, `${actual}: ${said.join('; ')}`, `${said.join('; ')}; a signature checked with such a key proves nothing`)
    }
    if (refusal) return fails(expected, `${actual}: ${refusal}`, 'the signature does not verify')
    const k = named[0]!
    return fails(
      expected,
      `${actual}: ${keyName(k.jwk, k.index)} is kty ${showValue(k.jwk.kty)}`,
      `${keyName(k.jwk, k.index)} is kty ${showValue(k.jwk.kty)}, which cannot verify alg ${alg} (RFC 7518 §3.1)`,
    )
  },
})

/** JWS algorithms that sign with a private key, verified with a public one. */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^ES256K$|^EdDSA$|^Ed25519$|^Ed448$/

export const asymmetricSignature = defineCheck({
  id: 'jwt-access-token.asymmetric-signature',
  summary: 'The JWT access token is signed with an asymmetric algorithm, which any resource server can verify with the public key.',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const alg = t.token.jwt.header.alg
    const expected = 'an asymmetric alg (RS…, PS…, ES…, EdDSA)'
    // "use of asymmetric cryptography is RECOMMENDED" (RFC 9068 §2.1)
    return typeof alg === 'string' && ASYMMETRIC.test(alg)
      ? holds(expected, `alg ${alg}`, 'asymmetric signature')
      : fails(expected, `alg ${showValue(alg)}`, 'not signed with an asymmetric algorithm: resource servers need the shared secret to verify it')
  },
})

export const typ = defineCheck({
  id: 'jwt-access-token.typ',
  summary: 'The JWT header typ is at+jwt (case-insensitive).',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const v = t.token.jwt.header.typ
    return declaresAtJwt(t.token.jwt.header)
      ? holds('typ "at+jwt"', showValue(v), 'RFC 9068 media type')
      : fails('typ "at+jwt"', showValue(v), 'resource servers that follow RFC 9068 §4 reject other typ values')
  },
})

const REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const
/** Claims some providers use in place of RFC 9068's, reported by name when found. */
const DIALECT: Record<string, string[]> = { client_id: ['cid', 'azp', 'appid'] }

export const requiredClaims = defineCheck({
  id: 'jwt-access-token.required-claims',
  summary: 'The RFC 9068 §2.2 required claims are present: iss, exp, aud, sub, client_id, iat, jti.',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const claims = t.token.jwt.claims
    const missing = REQUIRED.filter((c) => claims[c] === undefined)
    const expected = REQUIRED.join(', ')
    if (!missing.length) return holds(expected, 'all present', 'required claims present')
    const dialect = missing.flatMap((c) => (DIALECT[c] ?? []).filter((d) => claims[d] !== undefined).map((d) => `${c} as "${d}"`))
    const note = dialect.length ? ` (provider dialect: ${dialect.join(', ')})` : ''
    return fails(expected, `missing ${missing.join(', ')}${note}`, `missing claims: ${missing.join(', ')}${note}`)
  },
})

export const issuerMatches = defineCheck({
  id: 'jwt-access-token.iss-matches-issuer',
  summary: "The iss claim is exactly the target's issuer.",
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    if (!input.target.issuer) return notApplicable('the target names no issuer')
    const iss = t.token.jwt.claims.iss
    // iss is OPTIONAL in a JWT (RFC 7519 §4.1.1); only RFC 9068 makes it REQUIRED.
    if (iss === undefined && !declaresAtJwt(t.token.jwt.header)) return notApplicable(PLAIN_JWT('iss'))
    return iss === input.target.issuer ? holds(input.target.issuer, String(iss), 'iss matches') : fails(input.target.issuer, showValue(iss), 'iss must exactly match the issuer (RFC 9068 §4)')
  },
})

export const lifetime = defineCheck({
  id: 'jwt-access-token.lifetime',
  summary: 'exp and iat are numbers, iat is not in the future and exp is after now (60 s skew).',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const { exp, iat } = t.token.jwt.claims
    if (exp === undefined && !declaresAtJwt(t.token.jwt.header)) return notApplicable(PLAIN_JWT('exp'))
    const expected = 'numeric exp in the future, iat ≤ now'
    const actual = `exp ${JSON.stringify(exp)}, iat ${JSON.stringify(iat)}, now ${input.nowSec}`
    if (typeof exp !== 'number') return fails(expected, actual, 'exp is missing or not a number')
    if (exp <= input.nowSec - SKEW_SEC) return fails(expected, actual, 'the token is already expired')
    if (iat !== undefined && (typeof iat !== 'number' || iat > input.nowSec + SKEW_SEC)) return fails(expected, actual, 'iat is not a number or lies in the future')
    return holds(expected, actual, 'valid lifetime')
  },
})

export const expMatchesExpiresIn = defineCheck({
  id: 'jwt-access-token.exp-matches-expires-in',
  summary: 'exp − iat agrees with expires_in (within 60 s).',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const { exp, iat } = t.token.jwt.claims
    const expiresIn = bodyObject(input)?.expires_in
    if (typeof expiresIn !== 'number') return notApplicable('no expires_in to compare with')
    if (typeof exp !== 'number' || typeof iat !== 'number') return notApplicable('exp or iat is missing')
    const actual = `exp − iat = ${exp - iat}, expires_in = ${expiresIn}`
    return Math.abs(exp - iat - expiresIn) <= SKEW_SEC
      ? holds('exp − iat ≈ expires_in', actual, 'consistent lifetimes')
      : fails('exp − iat ≈ expires_in', actual, 'the token lives longer or shorter than the response says')
  },
})

export const clientId = defineCheck({
  id: 'jwt-access-token.client-id',
  summary: 'The client_id claim (or a known provider dialect of it) names the requesting client.',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const claims = t.token.jwt.claims
    const id = input.request.clientId
    const expected = `client_id "${id}"`
    const claim = ['client_id', ...DIALECT.client_id!].find((c) => claims[c] !== undefined)
    if (!claim) return fails(expected, 'no client_id claim', 'the token does not say which client it was issued to')
    const actual = `${claim} ${JSON.stringify(claims[claim])}`
    if (claims[claim] !== id) return fails(expected, actual, 'the token names another client')
    return holds(expected, actual, claim === 'client_id' ? 'client_id matches' : `the client is named by the "${claim}" claim`)
  },
})

export const subIdentifiesClient = defineCheck({
  id: 'jwt-access-token.sub-identifies-client',
  summary: 'sub identifies the client application, as RFC 9068 §2.2 asks for client credentials.',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const sub = t.token.jwt.claims.sub
    const id = input.request.clientId
    if (sub === undefined && !declaresAtJwt(t.token.jwt.header)) return notApplicable(PLAIN_JWT('sub'))
    // "the value of 'sub' SHOULD correspond to an identifier the authorization server uses to
    // indicate the client application" (RFC 9068 §2.2). A sub that contains the client id, such
    // as Auth0's "<id>@clients", is such an identifier.
    return typeof sub === 'string' && sub.includes(id)
      ? holds(`sub identifies "${id}"`, showValue(sub), 'sub identifies the client')
      : fails(`sub identifies "${id}"`, showValue(sub), 'sub does not identify the client')
  },
})

export const kidFound = defineCheck({
  id: 'jwt-access-token.kid-found',
  summary: 'The JWT header names a kid the JWKS has, or has none and the JWKS holds one signing key.',
  args: noArgs,
  needsJwks: true,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const { kid, alg } = t.token.jwt.header
    const expected = 'a kid found in the JWKS, or a JWKS of one signing key'
    if (typeof alg === 'string' && alg.startsWith('HS')) return notApplicable(`alg ${alg}: a shared-secret signature is verified with no JWKS`)
    if (!input.jwks) return notApplicable('the target publishes no jwks_uri')
    if ('notFetched' in input.jwks) return notApplicable(input.jwks.notFetched)
    if ('error' in input.jwks) return fails(expected, input.jwks.error, `the key set cannot be read: ${input.jwks.error}`)
    if (kid === undefined) {
      // kid is OPTIONAL (RFC 7515 §4.1.4): with one signing key there is nothing to choose from.
      const signingKeys = input.jwks.keys.filter((k) => k.use !== 'enc')
      return signingKeys.length === 1
        ? holds(expected, 'no kid; the JWKS has one signing key', 'no kid is needed to pick the only signing key')
        : fails(
            expected,
            `no kid; the JWKS has ${signingKeys.length} signing keys`,
            'without a kid a resource server must try every key (OpenID Connect Core §10.1 asks for one when there are several)',
          )
    }
    if (typeof kid !== 'string') return fails(expected, `kid ${showValue(kid)}`, 'kid is not a string (RFC 7515 §4.1.4)')
    return input.jwks.keys.some((k) => k.kid === kid)
      ? holds(expected, `kid ${JSON.stringify(kid)}`, 'the key is published')
      : fails(expected, `kid ${JSON.stringify(kid)}`, 'no published key has this kid')
  },
})

export const scopeClaim = defineCheck({
  id: 'jwt-access-token.scope-claim',
  summary: 'A token issued for a scoped request carries a scope claim that matches the grant.',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const requested = input.request.requestedScope
    if (!requested) return notApplicable('the request named no scope')
    const claims = t.token.jwt.claims
    const claim = tokenScopeClaim(input)
    const granted = input.token?.scope ?? requested
    const expected = `a scope claim of "${granted}"`
    if (!claim) {
      const roles = Array.isArray(claims.roles) ? ` (it has "roles": ${JSON.stringify(claims.roles)}, a provider dialect for application permissions)` : ''
      // "If an authorization request includes a scope parameter, the corresponding issued JWT
      // access token SHOULD include a scope claim" (RFC 9068 §2.2.3)
      return fails(expected, `no scope claim${roles}`, `the token has no scope claim${roles}`)
    }
    const actual = `${claim.claim}: "${[...claim.scopes].join(' ')}"${claim.claim === 'scp' ? ' (a provider dialect of scope)' : ''}`
    return sameSet(claim.scopes, scopeSet(granted)) ? holds(expected, actual, 'the claim matches the grant') : fails(expected, actual, 'the claim differs from the grant')
  },
})

export const cnfJkt = defineCheck({
  id: 'jwt-access-token.cnf-jkt',
  summary: 'A DPoP-bound JWT access token carries cnf.jkt, the thumbprint of the proof key.',
  args: noArgs,
  run(input) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    const tokenType = bodyObject(input)?.token_type
    if (String(tokenType).toLowerCase() !== 'dpop') return notApplicable(`token_type is ${JSON.stringify(tokenType)}: the token is not DPoP-bound`)
    if (!input.request.dpopJkt) return notApplicable('no DPoP proof was sent')
    const cnf = t.token.jwt.claims.cnf as { jkt?: unknown } | undefined
    const expected = `cnf.jkt "${input.request.dpopJkt}"`
    // RFC 9449 §6.1: a JWT access token bound to a DPoP key carries its SHA-256 JWK thumbprint.
    return cnf?.jkt === input.request.dpopJkt
      ? holds(expected, `cnf.jkt ${JSON.stringify(cnf.jkt)}`, 'bound to the proof key')
      : fails(expected, `cnf ${JSON.stringify(cnf)}`, 'the token is not bound to the key that proved possession')
  },
})

/**
 * RFC 8705 §3.1: a token bound to the client's certificate carries cnf.x5t#S256, the base64url
 * SHA-256 of the certificate's DER. `aspect: binding` judges the binding that is there; `aspect:
 * presence` that there is one (see x5tVerdict).
 */
export const cnfX5t = defineCheck({
  id: 'jwt-access-token.cnf-x5t',
  summary: 'A certificate-bound JWT access token carries cnf.x5t#S256, the thumbprint of the certificate presented.',
  args: x5tArgs,
  run(input, args) {
    const t = jwtOf(input)
    if (typeof t === 'string') return notApplicable(t)
    return x5tVerdict(t.token.jwt.claims.cnf, input.request.certificateThumbprint, args.aspect, 'the token')
  },
})
