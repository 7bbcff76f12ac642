/** Small readers shared by the checks. */
import * as z from 'zod'
import type { CheckInput, DecodedToken, Verdict } from './types.ts'

/** The arguments of a check that takes none: any argument given is an error in the suite. */
export const noArgs = z.strictObject({})

/** The body as a JSON object, or undefined. */
export function bodyObject(input: CheckInput): Record<string, unknown> | undefined {
  const j = input.response.json
  return j && typeof j === 'object' && !Array.isArray(j) ? (j as Record<string, unknown>) : undefined
}

/**
 * An optional member of a JSON object: undefined when it is absent or JSON null. Responses that
 * write every optional member, null when unset, say no more than those that leave it out.
 */
export function member(body: Record<string, unknown> | undefined, name: string): unknown {
  const v = body?.[name]
  return v === null ? undefined : v
}

/** A value as a verdict shows it: JSON, or "absent" (JSON.stringify has no text for undefined). */
export function showValue(v: unknown): string {
  if (v === undefined) return 'absent'
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

/** `HTTP 400, error "invalid_client"` or `HTTP 200, access token issued`: the gist of a response. */
export function gist(input: CheckInput): string {
  const { status } = input.response
  const body = bodyObject(input)
  if (body && typeof body.error === 'string') return `HTTP ${status}, error "${body.error}"`
  if (body && typeof body.access_token === 'string') return `HTTP ${status}, access token issued`
  if (input.response.jsonError) return `HTTP ${status}, body is not JSON`
  return `HTTP ${status}`
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(headers: Headers): string | undefined {
  const ct = headers.get('content-type')
  return ct ? ct.split(';')[0]!.trim().toLowerCase() : undefined
}

/** Comma-separated directives of a header such as Cache-Control, lower-cased, without values. */
export function directives(value: string | null): string[] {
  if (!value) return []
  return value.split(',').map((d) => d.split('=')[0]!.trim().toLowerCase())
}

/**
 * The scopes a JWT access token's own claim grants: RFC 9068's space-delimited `scope` string, or
 * a provider's `scp` (a string or an array, as Okta and Hydra issue it). Undefined when the token
 * is opaque or has no such claim.
 */
export function tokenScopeClaim(input: CheckInput): { scopes: Set<string>; claim: string } | undefined {
  const claims = input.token?.jwt?.claims
  for (const claim of ['scope', 'scp']) {
    const v = claims?.[claim]
    if (typeof v === 'string') return { scopes: scopeSet(v), claim }
    if (Array.isArray(v)) return { scopes: new Set(v.map(String)), claim }
  }
  return undefined
}

/** The set of scope-tokens in a space-delimited scope string. */
export function scopeSet(scope: string): Set<string> {
  return new Set(scope.split(' ').filter(Boolean))
}

export function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x))
}

export const holds = (expected: string, actual: string, message: string) => ({ holds: true, expected, actual, message }) as const
export const fails = (expected: string, actual: string, message: string) => ({ holds: false, expected, actual, message }) as const
export const notApplicable = (message: string) => ({ holds: 'n/a', expected: '', actual: '', message }) as const

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
/** Deeper JSON in a JWT segment is not parsed: a hostile token cannot exhaust the stack. */
const MAX_JWT_JSON_DEPTH = 64

/**
 * Decodes a compact JWS whose header and payload are JSON objects, without trusting it; undefined
 * for anything else (an opaque token), including segments nested deeper than a JWT ever is.
 */
export function tryDecodeJwt(token: string): DecodedToken | undefined {
  if (!JWS_COMPACT.test(token)) return undefined
  const [h, p] = token.split('.')
  const header = jsonSegment(h!)
  const claims = header && jsonSegment(p!)
  return header && claims ? { header, claims } : undefined
}

function jsonSegment(segment: string): Record<string, unknown> | undefined {
  let text: string
  try {
    const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
  if (jsonDepth(text) > MAX_JWT_JSON_DEPTH) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** How deeply a JSON text nests arrays and objects, counted without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 92)
        i++ // backslash: skip the escaped character
      else if (ch === 34) inString = false
    } else if (ch === 34) inString = true
    else if (ch === 91 || ch === 123) max = Math.max(max, ++depth)
    else if (ch === 93 || ch === 125) depth--
  }
  return max
}

/** The arguments of the cnf.x5t#S256 checks: which aspect of the binding they judge. */
export const x5tArgs = z.strictObject({ aspect: z.enum(['binding', 'presence']).default('binding') })

/**
 * RFC 8705 §3.1, §3.2: the verdict on a cnf member (a JWT claim or an introspection member)
 * against the certificate presented: x5t#S256 is the base64url SHA-256 of its DER. `binding`
 * judges a binding that is there (another certificate's thumbprint fails; none is not applicable);
 * `presence` judges that there is one (a JWT SHOULD represent it so, §3.1; a client may not be
 * registered for bound tokens, §3.4).
 */
export function x5tVerdict(cnf: unknown, thumbprint: string | undefined, aspect: z.infer<typeof x5tArgs>['aspect'], what: string): Verdict {
  if (thumbprint === undefined) return notApplicable('no client certificate was presented')
  if (thumbprint === 'unknown') return notApplicable('the certificate was presented through a Worker binding whose PEM the target does not give: its thumbprint is not known')
  const x5t = cnf !== null && typeof cnf === 'object' ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined
  if (aspect === 'presence')
    return x5t === undefined
      ? fails('cnf.x5t#S256', `cnf ${JSON.stringify(cnf) ?? 'absent'}`, `${what} is not bound to the client certificate`)
      : holds('cnf.x5t#S256', `cnf.x5t#S256 ${JSON.stringify(x5t).slice(0, 100)}`, `${what} is certificate-bound`)
  const expected = `cnf.x5t#S256 "${thumbprint}"`
  if (x5t === undefined) return notApplicable(`${what} is not certificate-bound`)
  return x5t === thumbprint
    ? holds(expected, `cnf.x5t#S256 ${JSON.stringify(x5t)}`, `${what} is bound to the certificate presented`)
    : fails(expected, `cnf.x5t#S256 ${JSON.stringify(x5t).slice(0, 100)}`, `${what} is bound to another certificate`)
}
