/**
 * Resolving `${references}` against one target at run time. The grammar, and the checks made when
 * a suite is loaded, are in schema/refs.ts; here each reference gets its value, or the reason the
 * target cannot provide it (the case is then skipped with that reason).
 *
 * Text keeps track of which of its pieces are secret, so that what is sent holds the secret while
 * what is shown and the curl line hold `$VARIABLE` in its place.
 *
 * @module
 */
import { parseTemplate, refSource, type Ref, type TemplatePart } from '../schema/refs.ts'
import type { ResolvedClient, ResolvedTarget } from './resolve.ts'

/** A piece of text: literal, or a secret that is shown as `$var`. */
export type Segment = string | { secret: string; var: string }

export interface Text {
  value: string
  segments: Segment[]
}

export interface SigningKeyFacts {
  publicJwk?: Record<string, unknown>
  privateJwk?: Record<string, unknown>
  thumbprint?: string
  kid?: string
}

/** Everything a reference can name, for one request. */
export interface RefScope {
  resolved: ResolvedTarget
  issuer?: string
  endpoints: Partial<Record<'token' | 'introspection' | 'revocation' | 'jwks', string>>
  /** Why an advertised endpoint is not used, when it is not. */
  refused?: Partial<Record<'token' | 'introspection' | 'revocation' | 'jwks', string>>
  /** Where requests presenting a client certificate go instead (mtls_endpoint_aliases, RFC 8705 §5), or why they cannot. */
  mtlsEndpoints?: Partial<Record<'token' | 'introspection' | 'revocation', string | { refused: string }>>
  metadata?: Record<string, unknown>
  /** The client of the request the reference is in. */
  client?: ResolvedClient
  nowSec: number
  /** One random identifier per request. */
  random: string
  /** One random identifier per case, shared by its steps. */
  caseRandom?: string
  /** The access token the case's first request obtained. */
  issued?: string
  /** Inside a JWT spec: the key it is signed with. */
  key?: SigningKeyFacts
}

export type Resolved = { value: unknown; secretVar?: string } | { missing: string }

const ENDPOINT_MISSING: Record<string, string> = {
  token: 'the target has no token endpoint',
  introspection: 'the target has no introspection endpoint (RFC 7662)',
  revocation: 'the target has no revocation endpoint (RFC 7009)',
  jwks: 'the target has no jwks_uri',
}

/** The value of one reference for this target, or why there is none. */
export function resolveRef(ref: Ref, scope: RefScope): Resolved {
  const t = scope.resolved.target
  const have = (value: unknown, missing: string): Resolved => (value === undefined ? { missing } : { value })
  switch (ref.kind) {
    case 'issuer':
      return have(scope.issuer, 'the target names no issuer')
    case 'endpoint':
      return have(scope.endpoints[ref.name], scope.refused?.[ref.name] ?? ENDPOINT_MISSING[ref.name]!)
    case 'metadata':
      if (!scope.metadata) return { missing: 'no authorization server metadata was discovered' }
      return have(scope.metadata[ref.member], `the metadata has no ${ref.member}`)
    case 'client': {
      const client = ref.role === undefined ? scope.client : scope.resolved.clients[ref.role]
      if (!client) return { missing: ref.role === undefined ? 'the request has no client' : `the target has no "${ref.role}" client` }
      if (ref.field === 'id') return { value: client.clientId }
      if (client.secret === undefined) return { missing: `client "${client.role}" has no client secret (${client.authMethod})` }
      return { value: client.secret, secretVar: client.secretVar }
    }
    case 'scopes.valid':
      if (ref.index === undefined) return { value: t.scopes.valid }
      return have(
        t.scopes.valid[ref.index],
        `the target lists only ${t.scopes.valid.length === 1 ? 'one valid scope' : `${t.scopes.valid.length} valid scopes`} (scopes.valid[${ref.index}] is needed)`,
      )
    case 'scopes.restricted':
      return have(t.scopes.restricted, 'the target names no restricted scope (scopes.restricted)')
    case 'scopes.unknown':
      return { value: t.scopes.unknown }
    case 'audience':
      return have(t.audience, 'the target sets no audience')
    case 'resource':
      return have(t.resource, 'the target sets no resource')
    case 'redirectUri':
      return have(t.redirectUri, 'the target names no registered redirect URI (redirectUri)')
    case 'now':
      return { value: scope.nowSec + ref.offset }
    case 'random':
      return { value: scope.random }
    case 'case.random':
      return have(scope.caseRandom, 'no case is running')
    case 'issuer.variant':
      return scope.issuer === undefined ? { missing: 'the target names no issuer' } : issuerVariant(scope.issuer, ref.variant)
    case 'issued.access_token':
      return scope.issued === undefined ? { missing: 'no access token was issued by the first step, so there is nothing to send' } : { value: scope.issued, secretVar: 'ACCESS_TOKEN' }
    case 'key': {
      const v = scope.key?.[ref.field]
      if (v === undefined) return { missing: `the signing key has no ${ref.field}` }
      return ref.field === 'privateJwk' ? { value: v, secretVar: 'PRIVATE_JWK' } : { value: v }
    }
    case 'args':
      // Group arguments are replaced when the suite is loaded; one left here is a loader bug.
      return { missing: `\${${refSource(ref)}} outside a group` }
  }
}

/** The issuer another way (see the Ref), or why that way does not exist for it. */
export function issuerVariant(issuer: string, variant: 'slash' | 'upper' | 'port'): Resolved {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(issuer)
  if (!m) return { missing: `the issuer ${issuer} is not an absolute URL` }
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string]
  switch (variant) {
    case 'slash':
      return { value: issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/` }
    case 'upper':
      return { value: `${scheme.toUpperCase()}://${authority.toUpperCase()}${rest}` }
    case 'port': {
      if (/:\d+$/.test(authority)) return { missing: `the issuer ${issuer} already names its port` }
      const port = scheme.toLowerCase() === 'https' ? 443 : scheme.toLowerCase() === 'http' ? 80 : undefined
      if (port === undefined) return { missing: `no default port for ${scheme}` }
      return { value: `${scheme}://${authority}:${port}${rest}` }
    }
  }
}

const parsed = new Map<string, TemplatePart[]>()

/** A template's parts; templates were validated when the suite was loaded, so this cannot fail. */
function partsOf(text: string): TemplatePart[] {
  let parts = parsed.get(text)
  if (!parts) {
    const p = parseTemplate(text)
    if (typeof p === 'string') throw new TypeError(`unvalidated template: ${p}`)
    parsed.set(text, (parts = p))
  }
  return parts
}

/** How a value is written into text: lists space-delimited (as scopes are), objects as JSON. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ')
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** Renders text with its references, keeping secret pieces apart. */
export function renderText(text: string, scope: RefScope): Text | { missing: string } {
  if (!text.includes('$')) return { value: text, segments: [text] }
  const segments: Segment[] = []
  let value = ''
  for (const part of partsOf(text)) {
    if (typeof part === 'string') {
      segments.push(part)
      value += part
      continue
    }
    const r = resolveRef(part, scope)
    if ('missing' in r) return r
    const piece = asText(r.value)
    value += piece
    segments.push(r.secretVar ? { secret: piece, var: r.secretVar } : piece)
  }
  return { value, segments }
}

/**
 * Resolves every reference in a JSON value. A string that is exactly one reference takes the
 * reference's value (a list, a number, an object); other strings become text.
 */
export function resolveValue(raw: unknown, scope: RefScope): { value: unknown } | { missing: string } {
  if (typeof raw === 'string') {
    if (!raw.includes('$')) return { value: raw }
    const parts = partsOf(raw)
    if (parts.length === 1 && typeof parts[0] !== 'string') {
      const r = resolveRef(parts[0]!, scope)
      return 'missing' in r ? r : { value: r.value }
    }
    const text = renderText(raw, scope)
    return 'missing' in text ? text : { value: text.value }
  }
  if (Array.isArray(raw)) {
    const out: unknown[] = []
    for (const item of raw) {
      const r = resolveValue(item, scope)
      if ('missing' in r) return r
      out.push(r.value)
    }
    return { value: out }
  }
  if (raw !== null && typeof raw === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(raw)) {
      const r = resolveValue(v, scope)
      if ('missing' in r) return r
      out[k] = r.value
    }
    return { value: out }
  }
  return { value: raw }
}

/** Literal text as segments. */
export function literal(value: string): Text {
  return { value, segments: [value] }
}

/** The text as reports show it: secrets as `$VAR`. */
export function displayOf(text: Text): string {
  return text.segments.map((s) => (typeof s === 'string' ? s : `$${s.var}`)).join('')
}

export function hasSecret(text: Text): boolean {
  return text.segments.some((s) => typeof s !== 'string')
}
