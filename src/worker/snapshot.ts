/**
 * What a run saw of the target's metadata and keys, kept per run so the dashboard can show what
 * changed between runs (an endpoint moved, a key rotated) and warn before a signing key's
 * certificate expires. Fetched only from origins the target names, never with credentials.
 */
import { namedOrigins, type Target } from '../schema/target.ts'
import type { TargetResult } from '../schema/report.ts'

export interface SnapshotSummary {
  endpoints: Record<string, string>
  grantTypes?: string[]
  authMethods?: string[]
  keys: Array<{ kid?: string; kty?: string; alg?: string; use?: string; notAfter?: string }>
}

const ENDPOINTS = ['issuer', 'token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint'] as const

export async function snapshotOf(fetchImpl: typeof fetch, t: TargetResult, target: Target): Promise<{ metadataHash?: string; jwksHash?: string; summary: SnapshotSummary }> {
  const allowed = namedOrigins(target)
  const get = async (url: string | undefined) => {
    if (!url || !URL.canParse(url) || !allowed.includes(new URL(url).origin)) return undefined
    const res = await fetchImpl(url, { headers: { Accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(5_000) })
    const text = (await res.text()).slice(0, 262_144)
    return res.ok ? text : undefined
  }
  const metadataText = await get(t.discovery.url)
  const metadata = parseObject(metadataText)
  const jwksText = await get(t.jwksUri ?? (typeof metadata?.jwks_uri === 'string' ? metadata.jwks_uri : undefined))
  const jwks = parseObject(jwksText)
  const keys = Array.isArray(jwks?.keys) ? (jwks.keys as Array<Record<string, unknown>>).slice(0, 100) : []
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined)
  return {
    metadataHash: metadata ? await hash(canonical(metadata)) : undefined,
    jwksHash: jwks ? await hash(canonical(jwks)) : undefined,
    summary: {
      endpoints: Object.fromEntries(ENDPOINTS.flatMap((e) => (str(metadata?.[e]) ? [[e, str(metadata?.[e])!]] : []))),
      grantTypes: strings(metadata?.grant_types_supported),
      authMethods: strings(metadata?.token_endpoint_auth_methods_supported),
      keys: keys.map((k) => ({
        kid: str(k.kid),
        kty: str(k.kty),
        alg: str(k.alg),
        use: str(k.use),
        notAfter: Array.isArray(k.x5c) && typeof k.x5c[0] === 'string' ? certificateNotAfter(k.x5c[0]) : undefined,
      })),
    },
  }
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined
  try {
    const v = JSON.parse(text) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** JSON with sorted keys: the same document hashes the same whatever order the server wrote. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v) ?? 'null'
}

async function hash(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return [...d.slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The notAfter of an X.509 certificate (base64 DER, as in a JWK's x5c): the second time of the
 * validity sequence of the TBSCertificate (RFC 5280 §4.1.2.5). Undefined for anything else.
 */
export function certificateNotAfter(base64Der: string): string | undefined {
  let der: Uint8Array
  try {
    der = Uint8Array.from(atob(base64Der), (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
  const read = (at: number): { tag: number; start: number; end: number } | undefined => {
    if (at + 2 > der.length) return undefined
    const tag = der[at]!
    let len = der[at + 1]!
    let start = at + 2
    if (len & 0x80) {
      const n = len & 0x7f
      if (n < 1 || n > 3 || start + n > der.length) return undefined
      len = 0
      for (let i = 0; i < n; i++) len = (len << 8) | der[start + i]!
      start += n
    }
    return start + len <= der.length ? { tag, start, end: start + len } : undefined
  }
  const cert = read(0)
  const tbs = cert && read(cert.start)
  if (!tbs || tbs.tag !== 0x30) return undefined
  let at = tbs.start
  let field = read(at)
  if (field?.tag === 0xa0) at = field.end // version [0]
  for (let i = 0; i < 3; i++) {
    // serialNumber, signature algorithm, issuer
    field = read(at)
    if (!field) return undefined
    at = field.end
  }
  const validity = read(at)
  if (!validity || validity.tag !== 0x30) return undefined
  const notBefore = read(validity.start)
  const notAfter = notBefore && read(notBefore.end)
  if (!notAfter) return undefined
  const text = new TextDecoder().decode(der.slice(notAfter.start, notAfter.end))
  // UTCTime YYMMDDHHMMSSZ (years 50–99 are 19xx) or GeneralizedTime YYYYMMDDHHMMSSZ.
  const m = notAfter.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : notAfter.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null
  if (!m) return undefined
  const year = notAfter.tag === 0x17 ? (Number(m[1]) >= 50 ? 1900 : 2000) + Number(m[1]) : Number(m[1])
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`
}
