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

export class Redactor {
  readonly #forms = new Map<string, string>()
  /** All forms as one alternation, longest first; rebuilt only after a secret is added. */
  #pattern: RegExp | undefined

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
    this.#pattern ??= new RegExp(
      [...this.#forms.keys()]
        .sort((a, b) => b.length - a.length)
        .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    )
    return text.replace(this.#pattern, (form) => this.#forms.get(form)!)
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
