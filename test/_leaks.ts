/**
 * The leak scan of the tests that check every output for secrets. It is written apart from the
 * redactor (src/core/redact.ts) and takes nothing from it, so that a form the redactor forgets is
 * still looked for: the redactor encodes each secret into every form it can think of, while this
 * scan mostly decodes, reading each text the ways a secret can hide in it and looking in every
 * reading for a few plain forms.
 */
import { Buffer } from 'node:buffer'

/** The texts a secret is written as: as it is, JSON-escaped, percent-encoded, form-encoded, and as \u escapes. */
function plainForms(value: string): string[] {
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams([['', value]]).toString().slice(1),
    [...value].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  ]
}

/** The forms a secret is looked for in: its plain forms, and Base64 and Base64url (with and without padding). */
export function secretForms(value: string): string[] {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(value)))
  const b64url = b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return [...plainForms(value), b64, b64.replace(/=+$/, ''), b64url]
}

/** Forms under this many characters are too common to judge. */
const MIN_FORM = 8
/**
 * Shorter runs are not decoded: a form of 8 bytes takes at least 11 Base64 characters and 16 hex
 * digits, wherever it starts, so no shorter run holds one whole.
 */
const MIN_BASE64_RUN = 11
const MIN_HEX_RUN = 16
// Node's Base64 decoder takes both alphabets, and stops at nothing in these runs.
const BASE64_RUN = new RegExp(`[A-Za-z0-9+/_-]{${MIN_BASE64_RUN},}`, 'g')
const HEX_RUN = new RegExp(`[0-9a-fA-F]{${MIN_HEX_RUN},}`, 'g')
// Decoded bytes are read one byte a character (Latin-1), so they never hold this: between the
// decodings of two runs, it keeps a form from being found across them.
const APART = '\u0100'

interface Reading {
  name: string
  /** Each text as read this way; none when no text reads differently this way. */
  texts: string[]
  /** Whether the reading is of bytes (Latin-1), whose forms are looked for as UTF-8 bytes. */
  bytes: boolean
}

const JSON_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
const jsonUnescape = (text: string) => text.replace(JSON_ESCAPE, (_, hex: string | undefined, c: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : SIMPLE_ESCAPES[c!]!))

const HTML_REFERENCE = /&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g
const HTML_NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
/** A report page's text as a browser shows it: a secret with `&` or `"` in it is written `&amp;`, `&quot;` there. */
const htmlUnescape = (text: string) =>
  text.replace(HTML_REFERENCE, (_, dec: string | undefined, hex: string | undefined, name: string | undefined) =>
    dec ? String.fromCodePoint(Number(dec) % 0x110000) : hex ? String.fromCodePoint(parseInt(hex, 16) % 0x110000) : HTML_NAMED[name!]!,
  )

/**
 * The ways the texts are read: as written; with JSON escapes decoded once (a body that a report
 * holds as a JSON string, escapes and all); with HTML character references decoded (report.html); each of these with NULs removed (UTF-16 that was read
 * as UTF-8 or Latin-1, where each ASCII character comes with a NUL, written `\u0000` in JSON); and
 * every run of Base64 or Base64url characters decoded from each of its first 4 characters, and
 * every run of hex digits from each of its first 2. However much of the text before an encoding
 * joined its run, one of these starts on the encoder's own grouping and gives back the bytes it
 * encoded, whatever byte alignment the secret had among them.
 */
function readings(texts: readonly string[]): Reading[] {
  const unescaped = texts.filter((t) => t.includes('\\')).map(jsonUnescape)
  const withNuls = [...texts, ...unescaped].filter((t) => t.includes('\0'))
  const decoded = (name: string, run: RegExp, offsets: number, encoding: 'base64' | 'hex') =>
    Array.from({ length: offsets }, (_, offset) => ({
      name: `in ${name} at offset ${offset}`,
      texts: texts.map((t) => Array.from(t.matchAll(run), ([r]) => Buffer.from(r.slice(offset), encoding).toString('latin1')).join(APART)),
      bytes: true,
    }))
  return [
    { name: 'as written', texts: [...texts], bytes: false },
    { name: 'with JSON escapes decoded', texts: unescaped, bytes: false },
    { name: 'with HTML character references decoded', texts: texts.filter((t) => t.includes('&')).map(htmlUnescape), bytes: false },
    { name: 'with NULs removed', texts: withNuls.map((t) => t.replace(/\0/g, '')), bytes: false },
    ...decoded('Base64', BASE64_RUN, 4, 'base64'),
    ...decoded('hex', HEX_RUN, 2, 'hex'),
  ]
}

/**
 * Each form of each secret found in any reading of the texts, as `name as "start…"`; when it was
 * found other than as written, followed by every reading it was found in: `name as "start…" (in
 * hex at offset 1)`. Decoded bytes are searched for the plain forms only (as UTF-8): a Base64 form
 * inside Base64 is rare, and it would take another search.
 */
export function leaksIn(texts: readonly string[], secrets: ReadonlyArray<readonly [string, string]>): string[] {
  const bytesOf = (form: string) => Buffer.from(form, 'utf8').toString('latin1')
  const looked = secrets.map(([name, value]) => {
    const plain = new Set(plainForms(value))
    const forms = [...new Set(secretForms(value))].filter((f) => f.length >= MIN_FORM)
    return { name, forms, bytes: forms.filter((f) => plain.has(f)).map(bytesOf) }
  })
  const textForms = looked.flatMap((s) => s.forms)
  const byteForms = looked.flatMap((s) => s.bytes)
  const found = readings(texts).map((r) => ({ ...r, found: occurring(r.texts, r.bytes ? byteForms : textForms) }))
  const leaks: string[] = []
  for (const { name, forms } of looked)
    for (const form of forms) {
      const where = found.filter((r) => r.found.has(r.bytes ? bytesOf(form) : form)).map((r) => r.name)
      if (!where.length) continue
      const shown = `${name} as ${JSON.stringify(form.slice(0, 12))}…`
      leaks.push(where.length === 1 && where[0] === 'as written' ? shown : `${shown} (${where.join(', ')})`)
    }
  return leaks
}

// A rolling hash of the last MIN_FORM characters: h = sum of c[i] * BASE^(MIN_FORM - 1 - i), mod 2^32.
const BASE = 31
const BASE_POW = Array.from({ length: MIN_FORM }).reduce<number>((p) => Math.imul(p, BASE), 1)
// Kept to 30 bits, which V8 holds as small integers: a Map lookup by them allocates nothing.
const KEY = 0x3fffffff

/**
 * Which of `forms` occur in any of `texts`, in one pass over each text rather than one a form (an
 * end-to-end report holds hundreds of tokens and megabytes of text): a hash of the text's last
 * MIN_FORM characters is kept at every position, and the forms whose first MIN_FORM characters
 * have that hash are compared whole there (Rabin–Karp).
 */
function occurring(texts: readonly string[], forms: readonly string[]): Set<string> {
  const byStart = new Map<number, string[]>()
  for (const form of forms) {
    let h = 0
    for (let i = 0; i < MIN_FORM; i++) h = (Math.imul(h, BASE) + form.charCodeAt(i)) | 0
    const same = byStart.get(h & KEY)
    if (same) same.push(form)
    else byStart.set(h & KEY, [form])
  }
  const found = new Set<string>()
  for (const text of texts) {
    let h = 0
    for (let i = 0; i < text.length; i++) {
      h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0
      if (i >= MIN_FORM) h = (h - Math.imul(text.charCodeAt(i - MIN_FORM), BASE_POW)) | 0
      const candidates = i >= MIN_FORM - 1 ? byStart.get(h & KEY) : undefined
      if (candidates) for (const form of candidates) if (!found.has(form) && text.startsWith(form, i - MIN_FORM + 1)) found.add(form)
    }
  }
  return found
}
