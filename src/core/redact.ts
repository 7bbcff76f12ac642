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

/**
 * A search over some of the forms, extended in place as forms are added. Long forms are found by
 * their prefix with the native substring search; short ones with one regular expression.
 */
class SearchIndex {
  /** Distinct prefixes of the long forms, ordered by their shortest form (a short text stops where none could fit). */
  prefixes: string[] = []
  /** At the same position as each prefix: the forms having it, longest first, and the shortest one's length. */
  formsByPrefix: string[][] = []
  shortestByPrefix: number[] = []
  short: RegExp | null = null
  /** The shortest form indexed: a shorter text cannot hold one (most keys and header values). */
  shortest = Infinity
  /** How many of the redactor's forms, in order, this index covers. */
  upTo: number
  readonly #groups = new Map<string, string[]>()
  readonly #shortForms: string[] = []

  constructor(from: number) {
    this.upTo = from
  }

  extend(forms: readonly string[]): void {
    let shortAdded = false
    // The lists are shared with formsByPrefix; the order of the groups changes only when a group
    // is new or gets a new shortest form.
    let reorder = false
    for (const f of forms) {
      this.shortest = Math.min(this.shortest, f.length)
      if (f.length < PREFIX_LENGTH) {
        this.#shortForms.push(f)
        shortAdded = true
        continue
      }
      const key = f.slice(0, PREFIX_LENGTH)
      const list = this.#groups.get(key)
      if (!list) {
        this.#groups.set(key, [f])
        reorder = true
      } else {
        const at = insertionPoint(list, f.length)
        if (at === list.length) reorder = true
        list.splice(at, 0, f)
      }
    }
    this.upTo += forms.length
    if (reorder) {
      const groups = [...this.#groups].sort((a, b) => a[1].at(-1)!.length - b[1].at(-1)!.length)
      this.prefixes = groups.map(([prefix]) => prefix)
      this.formsByPrefix = groups.map(([, list]) => list)
      this.shortestByPrefix = groups.map(([, list]) => list.at(-1)!.length)
    }
    if (shortAdded) {
      const alternatives = [...this.#shortForms].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      this.short = new RegExp(alternatives.join('|'), 'g')
    }
  }
}

/** Where a form of `length` goes in a list ordered longest first. */
function insertionPoint(list: string[], length: number): number {
  let i = 0
  while (i < list.length && list[i]!.length >= length) i++
  return i
}

/**
 * Texts at least this long are remembered with how many forms they are known to be clean of, so
 * that scrubbing them again (each case's result, then the whole target's, are scrubbed once more)
 * checks only the forms added since. Shorter texts are cheaper to scan again than to remember.
 */
const REMEMBER_LENGTH = 64
/** Up to this many forms added since a text was scrubbed are looked for one by one (see #freeOf). */
const RECHECK_EACH = 32

export class Redactor {
  readonly #forms = new Map<string, string>()
  /** The forms in the order they were added: a text clean of the first n is checked for the rest. */
  readonly #order: string[] = []
  /** The index over every form, extended as forms are added. */
  readonly #all = new SearchIndex(0)
  /** Indexes over the forms from position n on, for texts known clean of the first n; by n. */
  #since = new Map<number, SearchIndex>()
  /** Texts this redactor returned, with how many of #order they are known to be free of. */
  readonly #cleanOf = new Map<string, number>()

  /** Registers `value` so that it never appears in output; `label` replaces it. */
  add(value: string | undefined, label: string): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return
    const replacement = `[redacted ${label}]`
    for (const form of encodings(value)) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#forms.has(form)) {
        this.#forms.set(form, replacement)
        this.#order.push(form)
        if (this.#since.size) this.#since = new Map()
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
    const known = this.#order.length
    if (known === 0) return text
    // A text already free of the first n forms can only hold a later one.
    const from = text.length >= REMEMBER_LENGTH ? (this.#cleanOf.get(text) ?? 0) : 0
    if (from === known) return text
    if (from > 0 && known - from <= RECHECK_EACH && this.#freeOf(text, from, known)) {
      this.#cleanOf.set(text, known)
      return text
    }
    const { short, prefixes, formsByPrefix, shortestByPrefix, shortest } = this.#index(from)
    if (text.length < shortest) return text
    // Long forms: find each distinct prefix with the native substring search, then confirm. Plain
    // loops without iterators or closures: this runs for every string of every exchange, and the
    // per-call allocations of the earlier form were most of a run's garbage.
    const hits: Array<[number, string]> = []
    for (let p = 0; p < prefixes.length && shortestByPrefix[p]! <= text.length; p++) {
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
      let done = 0
      for (const [at, form] of hits) {
        if (at < done) continue
        built += text.slice(done, at) + this.#forms.get(form)!
        done = at + form.length
      }
      out = built + text.slice(done)
    }
    if (short) out = out.replace(short, (form) => this.#forms.get(form)!)
    if (out.length >= REMEMBER_LENGTH) this.#cleanOf.set(out, known)
    return out
  }

  /**
   * Whether `text` holds none of the forms from..known, each looked for on its own: for the few
   * added since a text was last scrubbed, cheaper than building an index over them. A text that
   * holds one is scrubbed in full.
   */
  #freeOf(text: string, from: number, known: number): boolean {
    for (let i = from; i < known; i++) if (text.includes(this.#order[i]!)) return false
    return true
  }

  /** An index of the forms from position `from` of #order on, covering every form added so far. */
  #index(from: number): SearchIndex {
    let index = from === 0 ? this.#all : this.#since.get(from)
    if (!index) this.#since.set(from, (index = new SearchIndex(from)))
    if (index.upTo < this.#order.length) index.extend(this.#order.slice(index.upTo))
    return index
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
  const b64 = btoa(ASCII.test(value) ? value : utf8Binary(value))
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

// Tokens and most secrets are ASCII, whose UTF-8 bytes are its characters: btoa takes them as they
// are, without a byte-by-byte copy of every (often kilobyte-long) token.
const ASCII = /^[\x00-\x7f]*$/

/** The UTF-8 bytes of `text` as a binary string, which is what btoa encodes. */
function utf8Binary(text: string): string {
  let binary = ''
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b)
  return binary
}
