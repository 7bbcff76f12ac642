/**
 * The one redaction module: every string that leaves the engine (reports, console, errors, curl
 * lines) passes through a {@link Redactor} that knows every secret of the run.
 *
 * A secret is replaced in each form it could appear in: raw, JSON-escaped, percent-encoded,
 * form-encoded, Base64 and Base64url.
 *
 * @module
 */

const MIN_SECRET_LENGTH = 3
/** Longer forms stay out of the compiled pattern (regex engines cap a pattern's size). */
const MAX_PATTERN_FORM = 2048

export class Redactor {
  readonly #forms = new Map<string, string>()
  /** All short forms as one alternation, longest first; null when there are none; rebuilt after an add. */
  #pattern: RegExp | null | undefined

  /** Registers `value` so that it never appears in output; `label` replaces it. */
  add(value: string | undefined, label: string): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return
    const replacement = `[redacted ${label}]`
    for (const form of encodings(value)) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#forms.has(form)) {
        this.#forms.set(form, replacement)
        this.#pattern = undefined
      }
    }
  }

  /** Registers each private parameter of a JWK (d, p, q, dp, dq, qi, k). */
  addJwk(jwk: Record<string, unknown>, label: string): void {
    for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      const v = jwk[p]
      if (typeof v === 'string') this.add(v, `${label} ${p}`)
    }
  }

  /** Returns `text` with every registered secret replaced; where forms overlap, the longest wins. */
  scrub(text: string): string {
    if (this.#forms.size === 0 || text === '') return text
    const { pattern, long } = this.#compiled()
    // Forms too long for one pattern (a hostile server's 200 KB "token") go first, by plain search.
    let out = text
    for (const form of long) if (out.includes(form)) out = out.split(form).join(this.#forms.get(form)!)
    return pattern ? out.replace(pattern, (form) => this.#forms.get(form)!) : out
  }

  #long: string[] = []
  #compiled(): { pattern: RegExp | undefined; long: string[] } {
    if (this.#pattern === undefined) {
      const forms = [...this.#forms.keys()].sort((a, b) => b.length - a.length)
      this.#long = forms.filter((f) => f.length > MAX_PATTERN_FORM)
      const short = forms.filter((f) => f.length <= MAX_PATTERN_FORM)
      try {
        this.#pattern = short.length ? new RegExp(short.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : null
      } catch {
        // A pattern the engine will not compile: every form is searched for plainly instead.
        this.#long = forms
        this.#pattern = null
      }
    }
    return { pattern: this.#pattern ?? undefined, long: this.#long }
  }

  /** Scrubs every string inside a JSON-like value. */
  scrubDeep<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T
    if (Array.isArray(value)) return value.map((v) => this.scrubDeep(v)) as T
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[this.scrub(k)] = this.scrubDeep(v)
      return out as T
    }
    return value
  }
}

function encodings(value: string): string[] {
  const bytes = new TextEncoder().encode(value)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  const b64 = btoa(binary)
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams([['', value]]).toString().slice(1),
    b64,
    b64.replace(/=+$/, ''),
    b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  ]
}
