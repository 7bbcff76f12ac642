import { base64url, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { keyName, keyProblems, keyTypesFor, publicParameters } from './jwk-rules.ts'

type Jwk = Record<string, unknown>

async function publicJwk(alg: string, options: { modulusLength?: number; crv?: string } = {}): Promise<Jwk> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true, ...options })
  return { ...(await exportJWK(publicKey)) }
}

/** An RSA key of any size (jose generates none under 2048 bits). */
async function rsaOf(bits: number): Promise<Jwk> {
  const pair = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])
  const { kty, n, e } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  return { kty, n, e }
}

/** A base64url member with one bit of its last octet flipped. */
function flipLastBit(v: unknown): string {
  const bytes = base64url.decode(String(v))
  bytes[bytes.length - 1]! ^= 1
  return base64url.encode(bytes)
}

/** The generator of secp256k1 (SEC 2 §2.4.1): a point on the curve WebCrypto cannot make. */
const SECP256K1_G = {
  kty: 'EC',
  crv: 'secp256k1',
  x: base64url.encode(Uint8Array.from('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'.match(/../g)!, (h) => parseInt(h, 16))),
  y: base64url.encode(Uint8Array.from('483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8'.match(/../g)!, (h) => parseInt(h, 16))),
}

describe('keyProblems: keys a lawful server publishes', () => {
  it('passes RSA keys of 2048, 3072 and 4096 bits with e = 65537, with or without alg, for signing or encryption', async () => {
    const [k2048, k3072, k4096] = await Promise.all([publicJwk('RS256'), publicJwk('PS256', { modulusLength: 3072 }), publicJwk('RS256', { modulusLength: 4096 })])
    expect(keyProblems({ ...k2048, alg: 'RS256', use: 'sig', kid: 'a' })).toEqual([])
    expect(keyProblems({ ...k3072, alg: 'PS384' })).toEqual([])
    expect(keyProblems({ ...k4096 })).toEqual([])
    expect(keyProblems({ ...k2048, alg: 'RSA-OAEP-256', use: 'enc' })).toEqual([])
  }, 30_000)

  it('passes EC keys on P-256, P-384, P-521 and secp256k1, with the alg of their curve', async () => {
    expect(keyProblems({ ...(await publicJwk('ES256')), alg: 'ES256' })).toEqual([])
    expect(keyProblems({ ...(await publicJwk('ES384')), alg: 'ES384' })).toEqual([])
    expect(keyProblems({ ...(await publicJwk('ES512')), alg: 'ES512' })).toEqual([])
    expect(keyProblems({ ...(await publicJwk('ES256')), alg: 'ECDH-ES+A128KW', use: 'enc' })).toEqual([])
    expect(keyProblems({ ...SECP256K1_G, alg: 'ES256K' })).toEqual([])
  })

  it('passes OKP keys: Ed25519 for EdDSA and Ed25519, X25519 for ECDH-ES', async () => {
    const ed = await publicJwk('EdDSA', { crv: 'Ed25519' })
    expect(keyProblems({ ...ed, alg: 'EdDSA' })).toEqual([])
    expect(keyProblems({ ...ed, alg: 'Ed25519' })).toEqual([])
    expect(keyProblems({ ...(await publicJwk('ECDH-ES', { crv: 'X25519' })), alg: 'ECDH-ES', use: 'enc' })).toEqual([])
  })

  it('passes members it does not read (x5c, x5t, key_ops, extensions), and key types and algorithms it does not know (RFC 7517 §4, §5)', async () => {
    const rsa = await publicJwk('RS256')
    expect(keyProblems({ ...rsa, x5c: ['MIIB…'], x5t: 'abc', key_ops: ['verify'], 'x-tenant': 'a' })).toEqual([])
    expect(keyProblems({ kty: 'AKP', alg: 'ML-DSA-44', pub: 'AAAA' })).toEqual([])
    expect(keyProblems({ kty: 'future', whatever: 1 })).toEqual([])
    expect(keyProblems({ ...rsa, alg: 'RS1024-private-use' })).toEqual([])
    expect(keyProblems({ kty: 'EC', crv: 'brainpoolP256r1', x: 'AA', y: 'AA' })).toEqual([])
  })

  it('does not count a leading zero octet of n as a bit of the modulus (RFC 7518 §6.3.1.1 notes libraries that add one)', async () => {
    const rsa = await publicJwk('RS256')
    const padded = base64url.encode(Uint8Array.from([0, ...base64url.decode(String(rsa.n))]))
    expect(keyProblems({ ...rsa, n: padded })).toEqual([])
  })
})

describe('keyProblems: keys that must not be trusted', () => {
  it('refuses an RSA modulus under 2048 bits, citing the section of the alg (RFC 7518 §3.3, §3.5)', async () => {
    const weak = await rsaOf(1024)
    expect(keyProblems(weak)).toEqual([expect.stringMatching(/^is an RSA key of 1024 bits, under the 2048 RFC 7518 §3\.3 requires/)])
    expect(keyProblems({ ...weak, alg: 'PS256' })).toEqual([expect.stringContaining('RFC 7518 §3.5')])
    expect(keyProblems({ ...weak, alg: 'RSA-OAEP', use: 'enc' })).toEqual([expect.stringContaining('RFC 7518 §4.3')])
  })

  it('refuses an RSA exponent below 3, and an even one (RFC 8017 §3.1)', async () => {
    const rsa = await publicJwk('RS256')
    expect(keyProblems({ ...rsa, e: 'AQ' })).toEqual([expect.stringMatching(/^has RSA exponent 1, below 3 \(RFC 8017 §3\.1.*every message is its own signature/)])
    expect(keyProblems({ ...rsa, e: 'AA' })).toEqual([expect.stringContaining('exponent 0, below 3')])
    expect(keyProblems({ ...rsa, e: 'Ag' })).toEqual([expect.stringContaining('exponent 2, below 3')])
    expect(keyProblems({ ...rsa, e: 'AQAA' })).toEqual([expect.stringMatching(/^has an even RSA exponent, 65536 \(RFC 8017 §3\.1/)])
    expect(keyProblems({ ...rsa, e: rsa.n })).toEqual([expect.stringContaining('not below its modulus')])
    expect(keyProblems({ ...rsa, e: undefined })).toEqual([expect.stringContaining('no base64url exponent e (RFC 7518 §6.3.1.2')])
    expect(keyProblems({ kty: 'RSA', n: 'not base64url!', e: 'AQAB' })).toEqual([expect.stringContaining('no base64url modulus n (RFC 7518 §6.3.1.1')])
  })

  it('refuses an EC point off its curve, a coordinate of the wrong length and one beyond the field (RFC 7518 §6.2.1)', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512']) {
      const ec = await publicJwk(alg)
      expect(keyProblems({ ...ec, y: flipLastBit(ec.y) }), alg).toEqual([expect.stringMatching(new RegExp(`^has an EC point that is not on ${String(ec.crv)} \\(RFC 7518 §6\\.2\\.1`))])
    }
    expect(keyProblems({ ...SECP256K1_G, x: flipLastBit(SECP256K1_G.x) })).toEqual([expect.stringContaining('not on secp256k1')])
    const ec = await publicJwk('ES256')
    const short = base64url.encode(base64url.decode(String(ec.x)).slice(1))
    expect(keyProblems({ ...ec, x: short })).toEqual([expect.stringContaining('an EC x of 31 octets, not the 32 of a P-256 coordinate (RFC 7518 §6.2.1.2')])
    expect(keyProblems({ ...ec, y: base64url.encode(new Uint8Array(32).fill(0xff)) })).toEqual([expect.stringContaining('not on P-256')])
    expect(keyProblems({ ...ec, y: undefined })).toEqual([expect.stringContaining('without a base64url y (RFC 7518 §6.2.1.3')])
    expect(keyProblems({ kty: 'EC', x: ec.x, y: ec.y })).toEqual([expect.stringContaining('without crv (RFC 7518 §6.2.1.1')])
  })

  it('refuses a symmetric key: a JWK Set at jwks_uri is public (RFC 8414 §2)', () => {
    expect(keyProblems({ kty: 'oct', k: 'c2VjcmV0', alg: 'HS256', kid: 's' })).toEqual([expect.stringMatching(/^is a symmetric key \(kty oct\).*RFC 8414 §2.*anyone can sign/)])
  })

  it('refuses private members, naming them (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2)', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true })
    expect(keyProblems(await exportJWK(rsa.privateKey))).toEqual([expect.stringMatching(/^publishes private members \(d, p, q, dp, dq, qi\)/)])
    const ec = await generateKeyPair('ES256', { extractable: true })
    expect(keyProblems(await exportJWK(ec.privateKey))).toEqual([expect.stringContaining('private members (d)')])
    const ed = await generateKeyPair('EdDSA', { extractable: true, crv: 'Ed25519' })
    expect(keyProblems(await exportJWK(ed.privateKey))).toEqual([expect.stringContaining('private members (d)')])
  })

  it('refuses an alg, or a crv, that does not fit the kty (RFC 7517 §4.4, RFC 7518 §3.1)', async () => {
    const rsa = await publicJwk('RS256')
    const ec = await publicJwk('ES256')
    const ed = await publicJwk('EdDSA', { crv: 'Ed25519' })
    expect(keyProblems({ ...rsa, alg: 'ES256' })).toEqual(['has alg ES256, which needs kty EC (RFC 7518 §3.4), not RSA'])
    expect(keyProblems({ ...ec, alg: 'RS256' })).toEqual(['has alg RS256, which needs kty RSA (RFC 7518 §3.3), not EC'])
    expect(keyProblems({ ...ec, alg: 'ES384' })).toEqual(['has alg ES384, which needs crv P-384 (RFC 7518 §3.4), not P-256'])
    expect(keyProblems({ ...ec, alg: 'EdDSA' })).toEqual(['has alg EdDSA, which needs kty OKP (RFC 8037 §3.1), not EC'])
    expect(keyProblems({ ...ed, alg: 'ES256' })).toEqual(['has alg ES256, which needs kty EC (RFC 7518 §3.4), not OKP'])
    expect(keyProblems({ ...ed, alg: 'Ed448' })).toEqual(['has alg Ed448, which needs crv Ed448 (RFC 9864 §2.2), not Ed25519'])
    expect(keyProblems({ ...ed, crv: 'X25519', alg: 'EdDSA' })).toEqual(['has alg EdDSA, which needs crv Ed25519 or Ed448 (RFC 8037 §3.1), not X25519'])
    expect(keyProblems({ ...ec, alg: 7 })).toEqual(['has an alg that is not a string (RFC 7517 §4.4)'])
    expect(keyProblems({ kty: 'EC', crv: 'Ed25519', x: ed.x })).toEqual([expect.stringContaining('an OKP curve')])
    expect(keyProblems({ kty: 'OKP', crv: 'P-256', x: ec.x })).toEqual([expect.stringContaining('an EC curve')])
  })

  it('refuses what is not a key: no object, no kty (RFC 7517 §4.1, §5)', () => {
    expect(keyProblems(null)).toEqual([expect.stringContaining('not a JSON object')])
    expect(keyProblems('RSA')).toEqual([expect.stringContaining('not a JSON object')])
    expect(keyProblems({ kid: 'a' })).toEqual(['has no kty (RFC 7517 §4.1: REQUIRED)'])
  })

  it('never throws on members of any type', () => {
    const values = [undefined, null, 1, 'AQAB', '', '__proto__', 'constructor', [], {}, 'P-256', 'RS256', true]
    for (const kty of ['RSA', 'EC', 'OKP', 'oct', 'constructor'])
      for (const v of values) for (const member of ['n', 'e', 'crv', 'x', 'y', 'alg']) expect(() => keyProblems({ kty, [member]: v })).not.toThrow()
  })
})

describe('the helpers the checks share', () => {
  it('names a key by its kid, or by its place in the set', () => {
    expect(keyName({ kid: 'k1' }, 3)).toBe('kid "k1"')
    expect(keyName({ kty: 'RSA' }, 3)).toBe('key 3 (no kid)')
    expect(keyName(null, 0)).toBe('key 0 (no kid)')
  })

  it('keeps the public parameters of a key alone', () => {
    expect(publicParameters({ kty: 'RSA', n: 'n', e: 'e', d: 'd', alg: 'ES256', kid: 'k' })).toEqual({ kty: 'RSA', n: 'n', e: 'e' })
    expect(publicParameters({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' })).toEqual({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' })
    expect(publicParameters({ kty: 'toString' })).toEqual({ kty: 'toString' })
  })

  it('knows which key types carry an alg, and no more', () => {
    expect(keyTypesFor('PS256')).toEqual(['RSA'])
    expect(keyTypesFor('ECDH-ES')).toEqual(['EC', 'OKP'])
    expect(keyTypesFor('ML-DSA-44')).toBeUndefined()
    expect(keyTypesFor('constructor')).toBeUndefined()
  })
})
