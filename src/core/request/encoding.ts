/**
 * The encodings a request is written in: application/x-www-form-urlencoded (RFC 6749 Appendix
 * B, with the space written as `+` or, on request, `%20`), Base64 and Base64url.
 *
 * @module
 */

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string, spaceAs: '+' | '%20' = '+'): string {
  const encoded = new URLSearchParams([['', value]]).toString().slice(1)
  // The encoder writes a space as '+' and a literal '+' as %2B, so each '+' left is a space.
  return spaceAs === '+' ? encoded : encoded.replace(/\+/g, '%20')
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
