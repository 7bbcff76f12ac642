/**
 * What a published JWK must be before a signature verified with it counts (issue 24: keys are
 * judged before they are trusted). A key anyone can sign with (a published secret, an RSA key
 * with e = 1) or one that is no key of its curve proves nothing, whatever verifies with it.
 *
 * Pure and synchronous: base64url decoding and BigInt arithmetic, no WebCrypto. The EC point is
 * checked by arithmetic (y² = x³ + ax + b mod p) rather than by an importKey that fails, so the
 * verdict is the same in Node, Workers and Deno, whatever a runtime's import happens to refuse.
 * A kty grantcheck does not know is not judged; neither are x5c or members it does not read.
 *
 * @see [RFC 7517 §4](https://www.rfc-editor.org/rfc/rfc7517.html#section-4)
 * @see [RFC 7518 §6](https://www.rfc-editor.org/rfc/rfc7518.html#section-6)
 * @see [RFC 8037 §2](https://www.rfc-editor.org/rfc/rfc8037.html#section-2)
 * @module
 */
import { base64url } from 'jose'

/**
 * Private key parameters (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): a key set at jwks_uri
 * is fetched by any client (RFC 8414 §2), so none of them belongs there.
 */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** A short Weierstrass curve y² = x³ + ax + b over GF(p), with its coordinate size in octets. */
interface Curve {
  p: bigint
  a: bigint
  b: bigint
  octets: number
}

/** The curves of kty EC: RFC 7518 §6.2.1.1, and secp256k1 (RFC 8812 §3.1). Parameters from SEC 2 / FIPS 186-4 D.1.2. */
const EC_CURVES: Record<string, Curve> = {
  'P-256': { p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n, a: -3n, b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn, octets: 32 },
  'P-384': {
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    a: -3n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    octets: 48,
  },
  'P-521': {
    p: 2n ** 521n - 1n,
    a: -3n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    octets: 66,
  },
  secp256k1: { p: 2n ** 256n - 2n ** 32n - 977n, a: 0n, b: 7n, octets: 32 },
}
/** The curves of kty OKP (RFC 8037 §2). */
const OKP_CURVES = ['Ed25519', 'Ed448', 'X25519', 'X448']

/** The key an alg needs: its kty, the curves it allows (any when absent), and the text that says so. */
interface KeyFor {
  kty: readonly string[]
  crv?: readonly string[]
  see: string
}

const rsa = (see: string): KeyFor => ({ kty: ['RSA'], see })
const oct = (see: string): KeyFor => ({ kty: ['oct'], see })
const ecdh: KeyFor = { kty: ['EC', 'OKP'], crv: ['P-256', 'P-384', 'P-521', 'X25519', 'X448'], see: 'RFC 7518 §4.6, RFC 8037 §3.2' }

/** The registered algorithms and the key each needs (RFC 7518 §3.1, §4.1; RFC 8037 §3; RFC 8812 §3; RFC 9864 §2.2). */
const ALG_KEYS: Record<string, KeyFor> = {
  ...Object.fromEntries(['RS256', 'RS384', 'RS512'].map((a) => [a, rsa('RFC 7518 §3.3')])),
  ...Object.fromEntries(['PS256', 'PS384', 'PS512'].map((a) => [a, rsa('RFC 7518 §3.5')])),
  ...Object.fromEntries(['RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'].map((a) => [a, rsa('RFC 7518 §4.3')])),
  RSA1_5: rsa('RFC 7518 §4.2'),
  ES256: { kty: ['EC'], crv: ['P-256'], see: 'RFC 7518 §3.4' },
  ES384: { kty: ['EC'], crv: ['P-384'], see: 'RFC 7518 §3.4' },
  ES512: { kty: ['EC'], crv: ['P-521'], see: 'RFC 7518 §3.4' },
  ES256K: { kty: ['EC'], crv: ['secp256k1'], see: 'RFC 8812 §3.2' },
  EdDSA: { kty: ['OKP'], crv: ['Ed25519', 'Ed448'], see: 'RFC 8037 §3.1' },
  Ed25519: { kty: ['OKP'], crv: ['Ed25519'], see: 'RFC 9864 §2.2' },
  Ed448: { kty: ['OKP'], crv: ['Ed448'], see: 'RFC 9864 §2.2' },
  ...Object.fromEntries(['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'].map((a) => [a, ecdh])),
  ...Object.fromEntries(['HS256', 'HS384', 'HS512'].map((a) => [a, oct('RFC 7518 §3.2')])),
  ...Object.fromEntries(['A128KW', 'A192KW', 'A256KW'].map((a) => [a, oct('RFC 7518 §4.4')])),
  ...Object.fromEntries(['A128GCMKW', 'A192GCMKW', 'A256GCMKW'].map((a) => [a, oct('RFC 7518 §4.7')])),
  dir: oct('RFC 7518 §4.5'),
}

/** The key types these rules judge; a JWK Set may lawfully hold others (RFC 7517 §5). */
export const KNOWN_KTY: readonly string[] = ['RSA', 'EC', 'OKP', 'oct']

/** The key a registered alg needs; undefined for an alg not registered here (a private or newer one). */
const keyFor = (alg: unknown): KeyFor | undefined => (typeof alg === 'string' && Object.hasOwn(ALG_KEYS, alg) ? ALG_KEYS[alg] : undefined)

/** The key types that can carry an alg, for choosing the keys a JWS header may point to; undefined for an alg not registered here. */
export function keyTypesFor(alg: string): readonly string[] | undefined {
  return keyFor(alg)?.kty
}

/** The octets of a base64url member, or undefined when it is absent or not base64url. */
function octets(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*$/.test(v)) return undefined
  try {
    return base64url.decode(v)
  } catch {
    return undefined
  }
}

/** The unsigned big-endian integer of some octets. */
function integer(bytes: Uint8Array): bigint {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  return n
}

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m
/** A number as a verdict shows it: in decimal, or by its size when it is long. */
const shown = (n: bigint) => (n < 2n ** 64n ? n.toString() : `a ${n.toString(2).length}-bit number`)

function rsaProblems(jwk: Record<string, unknown>, alg: unknown): string[] {
  const nBytes = octets(jwk.n)
  const eBytes = octets(jwk.e)
  const problems: string[] = []
  if (!nBytes?.length) problems.push('has no base64url modulus n (RFC 7518 §6.3.1.1: MUST be present)')
  if (!eBytes?.length) problems.push('has no base64url exponent e (RFC 7518 §6.3.1.2: MUST be present)')
  if (!nBytes?.length || !eBytes?.length) return problems
  // Bits of the value: a leading zero octet (RFC 7518 §6.3.1.1 notes libraries that add one)
  // does not make a modulus longer, and is left to the encoders; it does not weaken the key.
  const n = integer(nBytes)
  const e = integer(eBytes)
  const bits = n.toString(2).length
  const need = keyFor(alg)
  const see = need?.kty.includes('RSA') ? need.see : 'RFC 7518 §3.3'
  // "A key of size 2048 bits or larger MUST be used with these algorithms." (RFC 7518 §3.3; §3.5,
  // §4.2 and §4.3 say the same of PS*, RSA1_5 and RSA-OAEP)
  if (bits < 2048) problems.push(`is an RSA key of ${bits} bits, under the 2048 ${see} requires ("A key of size 2048 bits or larger MUST be used")`)
  // "e is an integer between 3 and n - 1 satisfying GCD(e, \lambda(n)) = 1" (RFC 8017 §3.1):
  // λ(n) is even, so e is odd.
  if (e < 3n) problems.push(`has RSA exponent ${e}, below 3 (RFC 8017 §3.1: 3 ≤ e ≤ n − 1)${e === 1n ? ': with e = 1 every message is its own signature, so anyone can sign' : ''}`)
  else if (e % 2n === 0n) problems.push(`has an even RSA exponent, ${shown(e)} (RFC 8017 §3.1: GCD(e, λ(n)) = 1, and λ(n) is even)`)
  if (e >= n) problems.push('has an RSA exponent not below its modulus (RFC 8017 §3.1: e ≤ n − 1)')
  return problems
}

function ecProblems(jwk: Record<string, unknown>): string[] {
  const crv = jwk.crv
  if (typeof crv !== 'string') return ['is an EC key without crv (RFC 7518 §6.2.1.1: MUST be present)']
  if (OKP_CURVES.includes(crv)) return [`is kty EC with crv ${crv}, an OKP curve (RFC 8037 §2), not one of RFC 7518 §6.2.1.1`]
  // A curve these rules do not know is not judged.
  if (!Object.hasOwn(EC_CURVES, crv)) return []
  const curve = EC_CURVES[crv]!
  const problems: string[] = []
  const coordinates: bigint[] = []
  for (const [member, section] of [
    ['x', '6.2.1.2'],
    ['y', '6.2.1.3'],
  ] as const) {
    const bytes = octets(jwk[member])
    if (!bytes) problems.push(`is an EC key without a base64url ${member} (RFC 7518 §${section}: MUST be present)`)
    // "The length of this octet string MUST be the full size of a coordinate for the curve
    // specified in the "crv" parameter." (RFC 7518 §6.2.1.2, §6.2.1.3)
    else if (bytes.length !== curve.octets)
      problems.push(`has an EC ${member} of ${bytes.length} octets, not the ${curve.octets} of a ${crv} coordinate (RFC 7518 §${section}: "MUST be the full size of a coordinate")`)
    else coordinates.push(integer(bytes))
  }
  if (problems.length) return problems
  const [x, y] = coordinates as [bigint, bigint]
  // x and y are "the Elliptic Curve point" of the crv curve (RFC 7518 §6.2.1): each below p, and
  // y² = x³ + ax + b. A point off the curve is no public key of it; RFC 8725 §3.4 names such
  // points as the invalid inputs a JOSE library must refuse.
  const onCurve = x < curve.p && y < curve.p && mod(y * y - (x * x * x + curve.a * x + curve.b), curve.p) === 0n
  return onCurve ? [] : [`has an EC point that is not on ${crv} (RFC 7518 §6.2.1: x and y are a point of the crv curve; RFC 8725 §3.4: invalid points are refused)`]
}

function okpProblems(jwk: Record<string, unknown>): string[] {
  const crv = jwk.crv
  if (typeof crv !== 'string') return ['is an OKP key without crv (RFC 8037 §2: MUST be present)']
  if (Object.hasOwn(EC_CURVES, crv)) return [`is kty OKP with crv ${crv}, an EC curve (RFC 7518 §6.2.1.1), not one of RFC 8037 §2`]
  return []
}

/** An alg that does not fit the key's kty or crv. */
function algProblems(jwk: Record<string, unknown>, kty: string): string[] {
  const alg = jwk.alg
  // "alg" is OPTIONAL (RFC 7517 §4.4): consistency is judged only when it is there.
  if (alg === undefined) return []
  if (typeof alg !== 'string') return [`has an alg that is not a string (RFC 7517 §4.4)`]
  // An alg not registered here (a private or newer one) is not judged.
  const need = keyFor(alg)
  if (!need) return []
  // "The "alg" (algorithm) parameter identifies the algorithm intended for use with the key"
  // (RFC 7517 §4.4); each algorithm is defined for one family of keys (RFC 7518 §3.1, §4.1, §6.1).
  if (!need.kty.includes(kty)) return [`has alg ${alg}, which needs kty ${need.kty.join(' or ')} (${need.see}), not ${kty}`]
  const crv = jwk.crv
  if (need.crv && typeof crv === 'string' && !need.crv.includes(crv)) return [`has alg ${alg}, which needs crv ${need.crv.join(' or ')} (${need.see}), not ${crv}`]
  return []
}

/**
 * What is wrong with a key published in a JWK Set: each problem a short phrase, beginning with a
 * verb, that cites its section (`is an RSA key of 1024 bits, under the 2048 RFC 7518 §3.3
 * requires …`). Empty for a key that may be trusted; a key of a kty grantcheck does not know has
 * none.
 *
 * @see [RFC 7518 §3.3](https://www.rfc-editor.org/rfc/rfc7518.html#section-3.3)
 * @see [RFC 8017 §3.1](https://www.rfc-editor.org/rfc/rfc8017.html#section-3.1)
 * @see [RFC 7518 §6.2.1](https://www.rfc-editor.org/rfc/rfc7518.html#section-6.2.1)
 * @see [RFC 8414 §2](https://www.rfc-editor.org/rfc/rfc8414.html#section-2)
 * @see [RFC 7517 §4.4](https://www.rfc-editor.org/rfc/rfc7517.html#section-4.4)
 */
export function keyProblems(jwk: unknown): string[] {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return ['is not a JSON object (RFC 7517 §5: "keys" is an array of JWKs)']
  const key = jwk as Record<string, unknown>
  const kty = key.kty
  if (typeof kty !== 'string') return ['has no kty (RFC 7517 §4.1: REQUIRED)']
  if (!KNOWN_KTY.includes(kty)) return []
  if (kty === 'oct')
    // "The referenced document contains the signing key(s) the client uses to validate signatures
    // from the authorization server" (RFC 8414 §2): what is served there is public.
    return [...algProblems(key, kty), 'is a symmetric key (kty oct): its k is the shared secret itself, and a key set at jwks_uri is public (RFC 8414 §2), so anyone can sign with it']
  const problems: string[] = []
  const secret = PRIVATE_MEMBERS.filter((m) => Object.hasOwn(key, m))
  if (secret.length) problems.push(`publishes private members (${secret.join(', ')}): private key parameters (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2) in a key set any client reads (RFC 8414 §2)`)
  if (kty === 'RSA') problems.push(...rsaProblems(key, key.alg))
  if (kty === 'EC') problems.push(...ecProblems(key))
  if (kty === 'OKP') problems.push(...okpProblems(key))
  return [...problems, ...algProblems(key, kty)]
}

/** The members that make up each key type's public key (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2). */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] }

/** How a verdict names a published key: by its kid, or by its place in the set when it has none. */
export function keyName(jwk: unknown, index: number): string {
  const kid = jwk && typeof jwk === 'object' ? (jwk as Record<string, unknown>).kid : undefined
  return kid !== undefined ? `kid ${JSON.stringify(kid)}` : `key ${index} (no kid)`
}

/** The public parameters of an RSA, EC or OKP key alone: what verifies a signature, whatever else the JWK holds. */
export function publicParameters(jwk: Record<string, unknown>): Record<string, unknown> {
  const kty = String(jwk.kty)
  const names = Object.hasOwn(PUBLIC_MEMBERS, kty) ? PUBLIC_MEMBERS[kty]! : []
  return Object.fromEntries(['kty', ...names].filter((m) => Object.hasOwn(jwk, m)).map((m) => [m, jwk[m]]))
}
