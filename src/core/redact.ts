/**
 * The one redaction module: every string that leaves the engine (reports, console, errors, curl
 * lines) passes through a {@link Redactor} that knows every secret of the run.
 *
 * The algorithm, in full: every secret is kept in each form it can travel in (see encodings): its
 * texts (raw, JSON-escaped, percent-encoded, form-encoded); and, for the bytes of each text, their
 * Base64 and Base64url (whole, and the part of them fixed at each byte alignment) and their hex
 * (lower and upper case); and, for ASCII texts, their UTF-16 read byte by byte. Forms shorter than
 * MIN_SECRET_LENGTH are dropped. A text is searched for every occurrence of every form, in the text
 * as it is and in its reading with JSON escapes decoded (`\u0070…`); the union of the ranges found
 * is replaced, each run of overlapping or touching ranges by one label; and the search is repeated
 * on the result until nothing is found, so that a label next to the text around it cannot complete
 * a secret either. A label never contains a form: it falls back to plainer labels, down to one
 * character no secret fits in.
 *
 * @module
 */
import { formEncode } from './request/encoding.ts'

/** Shorter values are not redacted: they would blank out ordinary text. */
const MIN_SECRET_LENGTH = 3
/** A bound that no text reaches in practice (see scrub); past it, nothing of the text is kept. */
const MAX_PASSES = 64
const NON_CANONICAL_ESCAPE = /\\[u/]/

interface Form {
  text: string
  label: string
}

export class Redactor {
  /** Every form of every secret, shortest first, so that a short text stops early. */
  readonly #forms: Form[] = []
  readonly #known = new Set<string>()
  readonly #values = new Set<string>()
  /** Labels checked against the current forms; emptied when a form is added. */
  #safeLabels = new Map<string, string>()

  /** Registers `value` so that it never appears in output; `label` names it in its place. */
  add(value: string | undefined, label: string): void {
    // A token is added again with every answer that carries it: its forms are known already. (A
    // value that is only a form of another secret, say its hex, still gets forms of its own.)
    if (!value || value.length < MIN_SECRET_LENGTH || this.#values.has(value)) return
    this.#values.add(value)
    for (const text of encodings(value)) {
      if (text.length < MIN_SECRET_LENGTH || this.#known.has(text)) continue
      this.#known.add(text)
      let at = this.#forms.length
      while (at > 0 && this.#forms[at - 1]!.text.length > text.length) at--
      this.#forms.splice(at, 0, { text, label: `[redacted ${label}]` })
      this.#safeLabels = new Map()
    }
  }

  /**
   * How far past a point a secret that starts before it can reach, in any form and written with
   * JSON escapes (six characters each): a text cut there is scrubbed first over this much more.
   * The longest form is usually a hex one: two characters a byte, of the longest byte form.
   */
  get reach(): number {
    return 6 * (this.#forms.at(-1)?.text.length ?? 0)
  }

  /** Registers each private parameter of a JWK (d, p, q, dp, dq, qi, k). */
  addJwk(jwk: Record<string, unknown>, label: string): void {
    for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      const v = jwk[p]
      if (typeof v === 'string') this.add(v, `${label} ${p}`)
    }
  }

  /** Returns `text` with every occurrence of every registered form replaced. */
  scrub(text: string): string {
    let out = text
    // Each pass consumes at least one character of the text (labels hold no form and never touch
    // each other), so the passes end; more than one is needed only in contrived cases.
    for (let pass = 0; pass <= MAX_PASSES; pass++) {
      const ranges = this.#find(out)
      if (!ranges.length) return out
      out = this.#replace(out, ranges)
    }
    return '[redacted text]'
  }

  /** Every occurrence of every form, as [start, end, label], in the text and in its JSON-decoded reading. */
  #find(text: string): Array<[number, number, string]> {
    const found: Array<[number, number, string]> = []
    this.#search(text, found, undefined)
    // The JSON-escaped form covers the escapes JSON.stringify writes; only \u and \/ can write a
    // secret another way, so only texts holding one are read decoded.
    if (NON_CANONICAL_ESCAPE.test(text)) {
      const decoded = decodeJsonEscapes(text)
      if (decoded.text !== text) this.#search(decoded.text, found, decoded.starts)
    }
    return found
  }

  /** Adds every occurrence of every form in `haystack`; `starts` maps its positions back to the text. */
  #search(haystack: string, found: Array<[number, number, string]>, starts: number[] | undefined): void {
    for (const form of this.#forms) {
      const length = form.text.length
      if (length > haystack.length) return
      for (let at = haystack.indexOf(form.text); at !== -1; at = haystack.indexOf(form.text, at + 1))
        found.push(starts ? [starts[at]!, starts[at + length]!, form.label] : [at, at + length, form.label])
    }
  }

  /** Replaces the union of the ranges: each run of overlapping or touching ranges by the label of its first. */
  #replace(text: string, ranges: Array<[number, number, string]>): string {
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1])
    let out = ''
    let done = 0
    for (let i = 0; i < ranges.length;) {
      const [start, , label] = ranges[i]!
      let end = ranges[i]![1]
      while (++i < ranges.length && ranges[i]![0] <= end) end = Math.max(end, ranges[i]![1])
      out += text.slice(done, start) + this.#safeLabel(label)
      done = end
    }
    return out + text.slice(done)
  }

  /** The label, or a plainer one when a form happens to be part of it. */
  #safeLabel(label: string): string {
    let safe = this.#safeLabels.get(label)
    if (safe === undefined) {
      safe = [label, '[redacted]', '[…]'].find((l) => !this.#forms.some((f) => l.includes(f.text))) ?? '█'
      this.#safeLabels.set(label, safe)
    }
    return safe
  }

  /**
   * Scrubs every string inside a JSON-like value, keys included. Parts with nothing to redact are
   * returned as they are rather than copied; copies are made without prototypes, so that a key such
   * as `__proto__` stays a key.
   */
  scrubDeep<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T
    if (Array.isArray(value)) {
      let out: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        const v = this.scrubDeep(value[i])
        if (v !== value[i]) (out ??= value.slice())[i] = v
      }
      return (out ?? value) as T
    }
    if (value && typeof value === 'object') {
      const source = value as Record<string, unknown>
      const keys = Object.keys(source)
      let out: Record<string, unknown> | undefined
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const v = source[k]
        const key = this.scrub(k)
        const scrubbed = this.scrubDeep(v)
        if (!out && (key !== k || scrubbed !== v)) {
          out = {}
          for (let j = 0; j < i; j++) Object.defineProperty(out, keys[j]!, { value: source[keys[j]!], enumerable: true, writable: true, configurable: true })
        }
        if (out) Object.defineProperty(out, key, { value: scrubbed, enumerable: true, writable: true, configurable: true })
      }
      return (out ?? value) as T
    }
    return value
  }
}

/**
 * The text with its JSON string escapes decoded (`\u0070` → `p`, `\"` → `"`), and where each
 * decoded character starts in the original (one more entry for the end).
 */
function decodeJsonEscapes(text: string): { text: string; starts: number[] } {
  let out = ''
  const starts: number[] = []
  for (let i = 0; i < text.length;) {
    starts.push(i)
    if (text[i] === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
        i += 6
        continue
      }
      const simple = SIMPLE_ESCAPES[next]
      if (simple !== undefined) {
        out += simple
        i += 2
        continue
      }
    }
    out += text[i]
    i++
  }
  starts.push(text.length)
  return { text: out, starts }
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

/**
 * Every form a secret travels in. An echoed request holds the secret as one of its texts; a server
 * may echo those bytes as they are, or encoded as Base64 (a debug header, a JWT-shaped trace), as
 * hex, or as UTF-16 that the engine then reads as UTF-8. Duplicates are dropped by the caller.
 */
function encodings(value: string): string[] {
  const texts = [value, JSON.stringify(value).slice(1, -1), percentEncode(value), formEncode(value)]
  const forms = [...texts]
  for (const bytes of new Set(texts.map(toBinary))) {
    const hex = toHex(bytes)
    forms.push(...base64Forms(bytes), hex, hex.toUpperCase())
  }
  // UTF-16 bytes read as UTF-8 keep a character only where both bytes of its code unit are below
  // 0x80, i.e. for ASCII; any other code unit reads as U+FFFD or merges with its neighbours, which
  // no longer spells the secret. So only ASCII texts get this form (the percent and form texts
  // always are). Between NULs, it is the same in UTF-16LE (`c\0` each) and UTF-16BE (`\0c` each);
  // the NUL left at one end carries nothing.
  for (const text of new Set(texts)) if (ASCII.test(text)) forms.push([...text].join('\0'))
  return forms
}

/**
 * The Base64 forms of `bytes` (a binary string), in both alphabets: the whole encoding, padded
 * and not, and at each alignment (0, 1 or 2 bytes of a longer text before the secret) its core.
 *
 * A Base64 character holds 6 bits. Those whose 6 bits lie wholly inside the secret's bytes are the
 * same whatever surrounds the secret, so they are found by a plain search: that run is the core.
 * The at most one character at each end that straddles a neighbour holds at most 4 bits of the
 * first or of the last byte, less than one character of the secret, and depends on the neighbour:
 * it is left in place, as is padding (`=`), which holds nothing. The whole encodings are kept too,
 * so that an encoding of the secret alone goes entirely, padding included.
 */
function base64Forms(bytes: string): string[] {
  const padded = btoa(bytes)
  const forms = [padded, padded.replace(/=+$/, '')]
  for (let before = 0; before < 3; before++) {
    const start = Math.ceil((8 * before) / 6)
    const end = Math.floor((8 * (before + bytes.length)) / 6)
    forms.push(btoa('\0'.repeat(before) + bytes).slice(start, end))
  }
  return [...forms, ...forms.map((f) => f.replace(/\+/g, '-').replace(/\//g, '_'))]
}

/**
 * encodeURIComponent, which throws on a lone surrogate (a hostile server can put one in a token):
 * that is written as U+FFFD, as TextEncoder and URLSearchParams write it.
 */
function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'))
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

// Tokens and most secrets are ASCII, whose UTF-8 bytes are its characters: btoa takes them as they
// are, without a byte-by-byte copy of every (often kilobyte-long) token.
const ASCII = /^[\x00-\x7f]*$/

/** The UTF-8 bytes of `text` as a binary string, which is what btoa encodes. */
function toBinary(text: string): string {
  if (ASCII.test(text)) return text
  let binary = ''
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b)
  return binary
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** The bytes of a binary string in lower-case hex. */
function toHex(bytes: string): string {
  let hex = ''
  for (let i = 0; i < bytes.length; i++) hex += HEX_PAIRS[bytes.charCodeAt(i)]!
  return hex
}
