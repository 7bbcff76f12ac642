/**
 * Reading a body's bytes as text, by what they are rather than by assumption: a byte order mark
 * first, then the charset the Content-Type declares, then UTF-8. A body read as UTF-8 when it is
 * UTF-16 shows every character with a NUL beside it, which hides it from the redactor and from
 * the reader alike.
 *
 * JSON "exchanged between systems that are not part of a closed ecosystem MUST be encoded using
 * UTF-8" and "implementations MUST NOT add a byte order mark" (RFC 8259 §8.1); so the result also
 * says, for the checks, why a body is not plain UTF-8.
 *
 * @module
 */

export interface DecodedBody {
  text: string
  /** The encoding the text was read in: `utf-8`, `utf-16le`, `utf-16be` or the declared label. */
  encoding: string
  /** Why the bytes are not UTF-8 without a byte order mark; undefined when they are. */
  notUtf8?: string
}

/** The charset parameter of a Content-Type, lower-cased and unquoted; undefined when none. */
export function declaredCharset(contentType: string | null): string | undefined {
  const m = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType ?? '')
  return m?.[2]!.toLowerCase()
}

export function decodeBody(bytes: Uint8Array, contentType: string | null): DecodedBody {
  const declared = declaredCharset(contentType)
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: utf8(bytes.subarray(3)), encoding: 'utf-8', notUtf8: 'it starts with a byte order mark (EF BB BF)' }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: utf16(bytes.subarray(2), true), encoding: 'utf-16le', notUtf8: 'it is UTF-16LE (byte order mark FF FE)' }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: utf16(bytes.subarray(2), false), encoding: 'utf-16be', notUtf8: 'it is UTF-16BE (byte order mark FE FF)' }
  // No mark: a JSON text starts with an ASCII character, so a NUL in its first two bytes tells
  // UTF-16 and its byte order (as RFC 4627 §3 had it). A charset=utf-16 label on bytes that are not
  // is wrong, and a recipient ignores it (RFC 8259 §11).
  if (bytes.length >= 2 && (bytes[0] === 0) !== (bytes[1] === 0)) {
    const littleEndian = bytes[1] === 0
    const encoding = littleEndian ? 'utf-16le' : 'utf-16be'
    return { text: utf16(bytes, littleEndian), encoding, notUtf8: `it is ${encoding.toUpperCase()}${declared ? ` (charset=${declared})` : ''}` }
  }
  // Read once, strictly: the text of valid UTF-8, or undefined (every body is read this way, so
  // not a second time only to learn whether it is valid).
  const strict = strictUtf8(bytes)
  if (declared && !/^(utf-?8|us-ascii|utf-16(le|be)?)$/.test(declared)) {
    // Another declared charset: read by it when this runtime knows it; the bytes are judged alone.
    try {
      return { text: new TextDecoder(declared).decode(bytes), encoding: declared, ...(strict !== undefined ? {} : { notUtf8: `it is not valid UTF-8 (charset=${declared})` }) }
    } catch {
      // An unknown label: read as UTF-8, like a client that ignores the parameter (RFC 8259 §11).
    }
  }
  return strict !== undefined ? { text: strict, encoding: 'utf-8' } : { text: utf8(bytes), encoding: 'utf-8', notUtf8: 'it is not valid UTF-8' }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
}

function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/** UTF-16 by hand: every runtime reads it the same way (a Worker's TextDecoder may know UTF-8 only). */
function utf16(bytes: Uint8Array, littleEndian: boolean): string {
  const units = new Uint16Array(bytes.length >> 1)
  for (let i = 0; i < units.length; i++) units[i] = littleEndian ? bytes[2 * i]! | (bytes[2 * i + 1]! << 8) : (bytes[2 * i]! << 8) | bytes[2 * i + 1]!
  let text = ''
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.subarray(i, i + 8192))
  return text
}
