/**
 * References to the target, written `${…}` inside any string of a suite: `${issuer}`,
 * `${scopes.valid[1]}`, `${clients.post.id}`, `${now-600}`. The set of references is closed and
 * each one is parsed and validated when the suite is loaded; a misspelt one is an error naming
 * the file, line and field, with the nearest valid name.
 *
 * A string that is exactly one reference takes the reference's own type (a list of scopes, a
 * number of seconds, a JSON object); a string that mixes text and references is text, with lists
 * joined by spaces. `$${` writes a literal `${`.
 *
 * @module
 */

/** Where a reference appears, which decides the references it may use. */
export type RefPlace =
  /** A request: parameters, headers, body, client authentication. Secrets allowed. */
  | 'request'
  /** A signed JWT of a request (client assertion, DPoP proof): the request's, plus its signing key. */
  | 'jwt'
  /** An expectation operand or applicability condition: no secrets. */
  | 'expect'

export type Ref =
  | { kind: 'issuer' }
  /**
   * The issuer spelled another way that a URL parser would take for the same but a simple string
   * comparison (RFC 3986 §6.2.1) would not: a trailing slash added (or removed), the scheme and
   * host in upper case, the default port written out.
   */
  | { kind: 'issuer.variant'; variant: (typeof ISSUER_VARIANTS)[number] }
  | { kind: 'endpoint'; name: (typeof ENDPOINTS)[number] }
  | { kind: 'metadata'; member: string }
  /** `role` undefined: the client of the request the reference is in. */
  | { kind: 'client'; role?: string; field: 'id' | 'secret' }
  | { kind: 'scopes.valid'; index?: number }
  | { kind: 'scopes.restricted' }
  | { kind: 'scopes.unknown' }
  | { kind: 'audience' }
  | { kind: 'resource' }
  | { kind: 'redirectUri' }
  /** Seconds since the epoch, plus an offset. */
  | { kind: 'now'; offset: number }
  /** A random identifier, the same for every use within one request. */
  | { kind: 'random' }
  /** A random identifier, the same for every use within one case (all its steps). */
  | { kind: 'case.random' }
  /** The access token the case's first request obtained. */
  | { kind: 'issued.access_token' }
  /** The key a JWT is signed with (JWT specs only). */
  | { kind: 'key'; field: (typeof KEY_FIELDS)[number] }
  /** An argument of an expectation group (group definitions only). */
  | { kind: 'args'; name: string }

const ENDPOINTS = ['token', 'introspection', 'revocation', 'jwks'] as const
const ISSUER_VARIANTS = ['slash', 'upper', 'port'] as const
const KEY_FIELDS = ['publicJwk', 'privateJwk', 'thumbprint', 'kid'] as const

/** What a reference's value is: a string, a list of strings, a number, or any JSON value. */
export type RefType = 'string' | 'strings' | 'number' | 'json'

export function refType(ref: Ref): RefType {
  switch (ref.kind) {
    case 'scopes.valid':
      return ref.index === undefined ? 'strings' : 'string'
    case 'now':
      return 'number'
    case 'metadata':
    case 'args':
      return 'json'
    case 'key':
      return ref.field === 'publicJwk' || ref.field === 'privateJwk' ? 'json' : 'string'
    default:
      return 'string'
  }
}

/** True for references whose value is a secret: it never reaches a report, only a `$VAR`. */
export function isSecretRef(ref: Ref): boolean {
  return (ref.kind === 'client' && ref.field === 'secret') || ref.kind === 'issued.access_token' || (ref.kind === 'key' && ref.field === 'privateJwk')
}

/** The source form of a reference, as written between `${` and `}`. */
export function refSource(ref: Ref): string {
  switch (ref.kind) {
    case 'endpoint':
      return `endpoints.${ref.name}`
    case 'metadata':
      return `metadata.${ref.member}`
    case 'client':
      return ref.role === undefined ? `client.${ref.field}` : `clients.${ref.role}.${ref.field}`
    case 'scopes.valid':
      return ref.index === undefined ? 'scopes.valid' : `scopes.valid[${ref.index}]`
    case 'now':
      return ref.offset === 0 ? 'now' : `now${ref.offset > 0 ? '+' : '-'}${Math.abs(ref.offset)}`
    case 'key':
      return `key.${ref.field}`
    case 'issuer.variant':
      return `issuer.${ref.variant}`
    case 'args':
      return `args.${ref.name}`
    default:
      return ref.kind
  }
}

const ROLE = '[a-zA-Z][a-zA-Z0-9]*'
const GRAMMAR: Array<[RegExp, (m: RegExpExecArray) => Ref]> = [
  [/^issuer$/, () => ({ kind: 'issuer' })],
  [/^issuer\.(slash|upper|port)$/, (m) => ({ kind: 'issuer.variant', variant: m[1] as (typeof ISSUER_VARIANTS)[number] })],
  [/^endpoints\.(token|introspection|revocation|jwks)$/, (m) => ({ kind: 'endpoint', name: m[1] as (typeof ENDPOINTS)[number] })],
  [/^metadata\.([a-zA-Z0-9_]+)$/, (m) => ({ kind: 'metadata', member: m[1]! })],
  [/^client\.(id|secret)$/, (m) => ({ kind: 'client', field: m[1] as 'id' | 'secret' })],
  [new RegExp(`^clients\\.(${ROLE})\\.(id|secret)$`), (m) => ({ kind: 'client', role: m[1]!, field: m[2] as 'id' | 'secret' })],
  [/^scopes\.valid$/, () => ({ kind: 'scopes.valid' })],
  [/^scopes\.valid\[(\d{1,2})\]$/, (m) => ({ kind: 'scopes.valid', index: Number(m[1]) })],
  [/^scopes\.restricted$/, () => ({ kind: 'scopes.restricted' })],
  [/^scopes\.unknown$/, () => ({ kind: 'scopes.unknown' })],
  [/^audience$/, () => ({ kind: 'audience' })],
  [/^resource$/, () => ({ kind: 'resource' })],
  [/^redirectUri$/, () => ({ kind: 'redirectUri' })],
  [/^now(?:\s*([+-])\s*(\d{1,9}))?$/, (m) => ({ kind: 'now', offset: m[1] ? Number(`${m[1]}${m[2]}`) : 0 })],
  [/^random$/, () => ({ kind: 'random' })],
  [/^case\.random$/, () => ({ kind: 'case.random' })],
  [/^issued\.access_token$/, () => ({ kind: 'issued.access_token' })],
  [/^key\.(publicJwk|privateJwk|thumbprint|kid)$/, (m) => ({ kind: 'key', field: m[1] as (typeof KEY_FIELDS)[number] })],
  [/^args\.([a-zA-Z][a-zA-Z0-9]*)$/, (m) => ({ kind: 'args', name: m[1]! })],
]

/** Every reference form, for error suggestions and the documentation. */
const REFERENCE_FORMS = [
  'issuer',
  ...ISSUER_VARIANTS.map((v) => `issuer.${v}`),
  ...ENDPOINTS.map((e) => `endpoints.${e}`),
  'metadata.<member>',
  'client.id',
  'client.secret',
  'clients.<role>.id',
  'clients.<role>.secret',
  'scopes.valid',
  'scopes.valid[<n>]',
  'scopes.restricted',
  'scopes.unknown',
  'audience',
  'resource',
  'redirectUri',
  'now',
  'now+<seconds>',
  'now-<seconds>',
  'random',
  'case.random',
  'issued.access_token',
  ...KEY_FIELDS.map((f) => `key.${f}`),
  'args.<name>',
]

/** Parses the text between `${` and `}`; a string is the error message. */
export function parseRef(source: string): Ref | string {
  const text = source.trim()
  for (const [re, make] of GRAMMAR) {
    const m = re.exec(text)
    if (m) return make(m)
  }
  const guess = nearest(
    text
      .replace(/\[\d+\]/, '[<n>]')
      .replace(/^(clients\.)[^.]+/, '$1<role>')
      .replace(/^metadata\..*/, 'metadata.<member>'),
    REFERENCE_FORMS,
  )
  return `unknown reference "\${${text}}"${guess ? `; did you mean "\${${guess}}"?` : ''}`
}

/** A piece of a parsed template: literal text or a reference. */
export type TemplatePart = string | Ref

/**
 * Splits a string into literal text and references. A string is the error message (an
 * unterminated `${`, an unknown reference).
 */
export function parseTemplate(text: string): TemplatePart[] | string {
  const parts: TemplatePart[] = []
  let literal = ''
  let i = 0
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${'
      i += 3
      continue
    }
    if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2)
      if (end < 0) return `unterminated reference: "${text.slice(i, i + 40)}" has no closing "}" (write $\${ for a literal \${)`
      const ref = parseRef(text.slice(i + 2, end))
      if (typeof ref === 'string') return ref
      if (literal) parts.push(literal)
      literal = ''
      parts.push(ref)
      i = end + 1
      continue
    }
    literal += text[i]
    i++
  }
  if (literal || parts.length === 0) parts.push(literal)
  return parts
}

/** True when a string holds at least one reference (most strings are plain text). */
export function hasRefs(text: string): boolean {
  return text.includes('${')
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]!
}
