/**
 * The one redaction module: every string that leaves the engine (reports, console, errors, curl
 * lines) passes through a {@link Redactor} that knows every secret of the run.
 *
 * The algorithm, in full: every secret is kept in each form it can travel in (raw, JSON-escaped,
 * percent-encoded, form-encoded, Base64, Base64url); a text is searched for every occurrence of
 * every form, in the text as it is and in its reading with JSON escapes decoded (`\u0070…`); the
 * union of the ranges found is replaced, each run of overlapping or touching ranges by one label;
 * and the search is repeated on the result until nothing is found, so that a label next to the
 * text around it cannot complete a secret either. A label never contains a form: it falls back to
 * plainer labels, down to one character no secret fits in.
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
  /** Labels checked against the current forms; emptied when a form is added. */
  #safeLabels = new Map<string, string>()

  /** Registers `value` so that it never appears in output; `label` names it in its place. */
  add(value: string | undefined, label: string): void {
    // A token is added again with every answer that carries it: its forms are known already.
    if (!value || value.length < MIN_SECRET_LENGTH || this.#known.has(value)) return
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

/** Every form a secret travels in. */
function encodings(value: string): string[] {
  const b64 = btoa(ASCII.test(value) ? value : utf8Binary(value))
  return [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), formEncode(value), b64, b64.replace(/=+$/, ''), b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]
}

// Tokens and most secrets are ASCII, whose UTF-8 bytes are its characters: btoa takes them as they
// are, without a byte-by-byte copy of every (often kilobyte-long) token.
const ASCII = /^[\x00-\x7f]*$/

/** The UTF-8 bytes of `text` as a binary string, which is what btoa encodes. */
function utf8Binary(text: string): string {
  let binary = ''
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b)
  return binary
}
