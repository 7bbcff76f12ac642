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
/**
 * Forms at least this long are found by their prefix with the native substring search: secrets and
 * tokens are long, and many share a prefix (every JWT starts alike), so a few fast scans replace one
 * alternation of hundreds of literals. Shorter forms go into a regular expression.
 */
const PREFIX_LENGTH = 16

interface SearchIndex {
  short: RegExp | null
  /** Distinct prefixes of the long forms, and at the same position the forms having each, longest first. */
  prefixes: string[]
  formsByPrefix: string[][]
  /** The shortest registered form: a shorter text cannot hold one (most keys and header values). */
  shortest: number
}

export class Redactor {
  readonly #forms = new Map<string, string>()
  /** The search index over #forms; cleared when a secret is added, rebuilt on the next scrub. */
  #searchIndex: SearchIndex | undefined

  /** Registers `value` so that it never appears in output; `label` replaces it. */
  add(value: string | undefined, label: string): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return
    const replacement = `[redacted ${label}]`
    for (const form of encodings(value)) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#forms.has(form)) {
        this.#forms.set(form, replacement)
        this.#searchIndex = undefined
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
    if (this.#forms.size === 0) return text
    const { short, prefixes, formsByPrefix, shortest } = this.#index()
    if (text.length < shortest) return text
    // Long forms: find each distinct prefix with the native substring search, then confirm. Plain
    // loops without iterators or closures: this runs for every string of every exchange, and the
    // per-call allocations of the earlier form were most of a run's garbage.
    const hits: Array<[number, string]> = []
    for (let p = 0; p < prefixes.length; p++) {
      const prefix = prefixes[p]!
      for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) {
        const form = longestAt(text, at, formsByPrefix[p]!)
        if (form) hits.push([at, form])
      }
    }
    let out = text
    if (hits.length) {
      // Left to right; at one position the longest form wins; overlapped hits are skipped.
      hits.sort((a, b) => a[0] - b[0] || b[1].length - a[1].length)
      let built = ''
      let from = 0
      for (const [at, form] of hits) {
        if (at < from) continue
        built += text.slice(from, at) + this.#forms.get(form)!
        from = at + form.length
      }
      out = built + text.slice(from)
    }
    return short ? out.replace(short, (form) => this.#forms.get(form)!) : out
  }

  /** Short forms as one regular expression; long ones grouped by prefix, longest first. */
  #index(): SearchIndex {
    if (this.#searchIndex) return this.#searchIndex
    const forms = [...this.#forms.keys()].sort((a, b) => b.length - a.length)
    const short = forms.filter((f) => f.length < PREFIX_LENGTH)
    const byPrefix = new Map<string, string[]>()
    for (const f of forms.filter((x) => x.length >= PREFIX_LENGTH)) {
      const key = f.slice(0, PREFIX_LENGTH)
      const list = byPrefix.get(key)
      if (list) list.push(f)
      else byPrefix.set(key, [f])
    }
    const pattern = short.length ? new RegExp(short.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : null
    return (this.#searchIndex = { short: pattern, prefixes: [...byPrefix.keys()], formsByPrefix: [...byPrefix.values()], shortest: forms[forms.length - 1]!.length })
  }

  /**
   * Scrubs every string inside a JSON-like value. Parts with nothing to redact are returned as they
   * are rather than copied: results are scrubbed again as a whole, and copying them each time was
   * most of the run's garbage.
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
          for (let j = 0; j < i; j++) out[keys[j]!] = source[keys[j]!]
        }
        if (out) out[key] = scrubbed
      }
      return (out ?? value) as T
    }
    return value
  }
}

/** The first (so longest) of `forms` that `text` holds at `at`. */
function longestAt(text: string, at: number, forms: string[]): string | undefined {
  for (let i = 0; i < forms.length; i++) if (text.startsWith(forms[i]!, at)) return forms[i]
  return undefined
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
