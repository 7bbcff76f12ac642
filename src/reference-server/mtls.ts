/**
 * Mutual TLS for the reference server (RFC 8705): the client certificate as the listener hands it
 * over, how it authenticates a client, and the thumbprint a bound token carries. The TLS handshake
 * is the listener's (src/node/serve.ts): it asks for a certificate without requiring one, checks
 * the chain against the CA it trusts, and passes the result here as plain data, so this module
 * stays web-only.
 *
 * @module
 */
import type { JWK } from 'jose'

/** The certificate the client presented in the TLS handshake. */
export interface PeerCertificate {
  /** The DER encoding. */
  der: Uint8Array
  /** True when it chains to a CA the listener trusts. */
  chainVerified: boolean
  /** The subject's relative distinguished names, in the order the certificate encodes them (e.g. [["O", "x"], ["CN", "y"]]). */
  subject: Array<[string, string]>
  /** The public key, for self_signed_tls_client_auth (RFC 8705 §2.2). */
  publicJwk: JWK
}

/** What the reference server reads from the request's environment (the Node listener sets it). */
export interface ServerEnv {
  clientCertificate?: PeerCertificate
}

/**
 * The subject DN as a string. RFC 4514 §2.1 writes the last RDN of the sequence first
 * ("CN=y,O=x"); `encoding-order` is the bug of writing them as encoded.
 */
export function subjectDn(subject: Array<[string, string]>, order: 'rfc4514' | 'encoding-order'): string {
  const rdns = order === 'rfc4514' ? [...subject].reverse() : subject
  return rdns.map(([k, v]) => `${k}=${v}`).join(',')
}

/** Whether two public JWKs are the same key (the members RFC 7638 hashes). */
export function sameKey(a: JWK | undefined, b: JWK): boolean {
  if (!a || a.kty !== b.kty) return false
  const members = a.kty === 'EC' ? ['crv', 'x', 'y'] : a.kty === 'RSA' ? ['n', 'e'] : a.kty === 'OKP' ? ['crv', 'x'] : []
  return members.length > 0 && members.every((m) => (a as Record<string, unknown>)[m] === (b as Record<string, unknown>)[m])
}

/** The cnf x5t#S256 of a certificate: base64url SHA-256 of its DER (RFC 8705 §3.1). */
export async function x5tS256(der: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der as Uint8Array<ArrayBuffer>))
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}
