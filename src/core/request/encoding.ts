/**
 * The encodings a request is written in: application/x-www-form-urlencoded (RFC 6749 Appendix
 * B, with the space written as `+` or, on request, `%20`), Base64 and Base64url.
 *
 * @module
 */

/** Characters encodeURIComponent leaves as they are and the form encoding escapes. */
const FORM_ONLY = /[!'()~]/g
const escapeFormOnly = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`

/**
 * `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B), byte for byte
 * what URLSearchParams writes: everything but ASCII letters, digits and `*-._` percent-encoded
 * as UTF-8, a space as `+` (or `%20`).
 *
 * encodeURIComponent does it in JavaScript, where a URLSearchParams per value is a call into the
 * runtime (in workerd, an object of its own), and every parameter of every request is encoded
 * several times (body, display copy, curl line). A lone surrogate, which encodeURIComponent
 * refuses, goes to URLSearchParams, which writes it as U+FFFD.
 */
export function formEncode(value: string, spaceAs: '+' | '%20' = '+'): string {
  let encoded: string
  try {
    encoded = encodeURIComponent(value).replace(FORM_ONLY, escapeFormOnly)
  } catch {
    encoded = new URLSearchParams([['', value]]).toString().slice(1).replace(/\+/g, '%20')
  }
  // A literal '+' is %2B by now, so every %20 is a space.
  return spaceAs === '%20' ? encoded : encoded.replace(/%20/g, '+')
}

export function base64(text: string): string {
  let binary = ''
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b)
  return btoa(binary)
}

export function base64url(bytes: Uint8Array | string): string {
  let binary = ''
  for (const b of typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
