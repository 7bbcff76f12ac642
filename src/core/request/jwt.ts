/**
 * Signed JWTs as data: the default header and claims of a kind (a client assertion, a DPoP
 * proof), patched by the case, signed with the key it names, the signature kept or corrupted.
 *
 * Signing is done here over exactly the header the case describes, with WebCrypto, so that a case
 * can also remove `alg` or send a header no library would write.
 *
 * @see [RFC 7515 §5.1](https://www.rfc-editor.org/rfc/rfc7515.html#section-5.1)
 * @module
 */
import { exportSPKI, importJWK, type CryptoKey, type JWK } from 'jose'
import type { JwtSpec } from '../../schema/request.ts'
import { resolveValue, type RefScope, type SigningKeyFacts } from '../refs.ts'
import { base64url } from './encoding.ts'

/** Where a JWT's signing key comes from. */
export type KeySource =
  /** A private JWK (a client's, the run's DPoP key), imported for the algorithm signed with. */
  | { kind: 'jwk'; jwk: Record<string, unknown>; alg: string }
  /** An HMAC secret. */
  | { kind: 'hmac'; secret: Uint8Array; alg: string }
  /** A key pair nobody registered, of the algorithm signed with. */
  | { kind: 'stand-in'; alg: string }

/** The keys a JWT of some kind can be signed with, by the spec's `key` choice. */
export interface KeyChoices {
  registered: KeySource
  /** The same kind of key, nobody's. */
  unregistered: KeySource
  /** The public key as PEM, as an HMAC secret; or why this kind has none. */
  publicKeyAsHmac: () => Promise<KeySource | { skip: string }>
  facts: SigningKeyFacts
}

export interface SignInput {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  spec: JwtSpec | undefined
  keys: KeyChoices
  /** References in the spec resolve here, with `key.*` naming the registered key. */
  scope: RefScope
  unregisteredKey: (alg: string) => Promise<CryptoKey>
}

/** Signs the JWT a spec describes, or says what the target lacks for it. */
export async function signJwt(input: SignInput): Promise<string | { skip: string }> {
  const spec = input.spec
  const choice = spec?.key ?? 'registered'
  let source: KeySource | undefined
  if (choice === 'registered') source = input.keys.registered
  else if (choice === 'unregistered') source = input.keys.unregistered
  else if (choice === 'public-key-as-hmac') {
    const s = await input.keys.publicKeyAsHmac()
    if ('skip' in s) return s
    source = s
  }
  const header: Record<string, unknown> = { ...input.header, alg: source?.alg ?? 'none' }
  const claims: Record<string, unknown> = { ...input.claims }
  const scope: RefScope = { ...input.scope, key: input.keys.facts }
  for (const [target, patch] of [
    [header, spec?.header],
    [claims, spec?.claims],
  ] as const) {
    for (const [name, raw] of Object.entries(patch ?? {})) {
      if (raw === null) {
        delete target[name]
        continue
      }
      const v = resolveValue(raw, scope)
      if ('missing' in v) return { skip: v.missing }
      target[name] = v.value
    }
  }
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
  // A header without alg is signed with the key's own algorithm: the JWT is then malformed on
  // purpose, not unsigned.
  const alg = typeof header.alg === 'string' ? header.alg : (source?.alg ?? 'none')
  if (!source || alg.toLowerCase() === 'none') return `${signingInput}.`
  const signature = await sign(alg, source, new TextEncoder().encode(signingInput), input.unregisteredKey)
  const jws = `${signingInput}.${base64url(signature)}`
  return spec?.signature === 'corrupted' ? corruptSignature(jws) : jws
}

/** A JWS signature with WebCrypto, for the algorithms JOSE defines (RFC 7518 §3, RFC 8037). */
async function sign(alg: string, source: KeySource, data: Uint8Array, standIn: (alg: string) => Promise<CryptoKey>): Promise<Uint8Array> {
  const bits = /\d+$/.exec(alg)?.[0] ?? '256'
  if (alg.startsWith('HS')) {
    if (source.kind !== 'hmac') throw new TypeError(`${alg} needs an HMAC secret, and this key is an asymmetric one`)
    const key = await crypto.subtle.importKey('raw', source.secret as BufferSource, { name: 'HMAC', hash: `SHA-${bits}` }, false, ['sign'])
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, data as BufferSource))
  }
  if (source.kind === 'hmac') throw new TypeError(`${alg} needs an asymmetric key, and this key is an HMAC secret`)
  const key = source.kind === 'stand-in' ? await standIn(alg) : await importedKey(source.jwk, alg)
  const params: AlgorithmIdentifier | RsaPssParams | EcdsaParams = alg.startsWith('RS')
    ? { name: 'RSASSA-PKCS1-v1_5' }
    : alg.startsWith('PS')
      ? ({ name: 'RSA-PSS', saltLength: Number(bits) / 8 } as RsaPssParams)
      : alg.startsWith('ES')
        ? ({ name: 'ECDSA', hash: `SHA-${bits}` } as EcdsaParams)
        : { name: 'Ed25519' }
  return new Uint8Array(await crypto.subtle.sign(params, key as unknown as globalThis.CryptoKey, data as BufferSource))
}

/**
 * A private key, imported once per key object and algorithm rather than for every JWT: a run
 * signs about twenty. Weakly held, so a finished run's keys are released.
 */
const importedKeys = new WeakMap<Record<string, unknown>, Map<string, Promise<CryptoKey>>>()
function importedKey(jwk: Record<string, unknown>, alg: string): Promise<CryptoKey> {
  let byAlg = importedKeys.get(jwk)
  if (!byAlg) importedKeys.set(jwk, (byAlg = new Map()))
  let key = byAlg.get(alg)
  if (!key) byAlg.set(alg, (key = importJWK(jwk as JWK, alg) as Promise<CryptoKey>))
  return key
}

const PRIVATE_JWK_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi']

/** A JWK without its private members. */
export function publicPart(jwk: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_JWK_PARAMS.includes(k)))
}

/** The default algorithm of a private JWK: its own alg, else RS256 or ES256 by key type. */
export function algOf(jwk: Record<string, unknown>): string {
  return typeof jwk.alg === 'string' ? jwk.alg : jwk.kty === 'EC' ? 'ES256' : 'RS256'
}

/** Algorithm confusion: an HMAC keyed with a public key's PEM, which anyone can know. */
export async function publicKeyAsHmac(jwk: Record<string, unknown>): Promise<KeySource> {
  const pem = await exportSPKI((await importJWK(publicPart(jwk) as JWK, algOf(jwk), { extractable: true })) as CryptoKey)
  return { kind: 'hmac', secret: new TextEncoder().encode(pem), alg: 'HS256' }
}

/** Changes the signature's first characters, keeping it valid base64url of the same length. */
function corruptSignature(jws: string): string {
  const i = jws.lastIndexOf('.') + 1
  const sig = jws.slice(i)
  const flipped = [...sig.slice(0, 8)].map((ch) => (ch === 'A' ? 'B' : 'A')).join('')
  return jws.slice(0, i) + flipped + sig.slice(8)
}
