/**
 * Authorization server metadata discovery: RFC 8414 first, then OpenID Connect Discovery.
 *
 * @see [RFC 8414 §3](https://www.rfc-editor.org/rfc/rfc8414.html#section-3)
 * @module
 */
import { send, type FetchLike, type SendLimits } from './http.ts'

export interface Discovered {
  url: string
  metadata: Record<string, unknown>
  /** Requests sent, for the run's request count. */
  attempts: number
}

/** The two well-known URLs for an issuer, in the order they are tried. */
export function wellKnownUrls(issuer: string): string[] {
  const u = new URL(issuer)
  // "any terminating '/' MUST be removed before inserting '/' and the well-known URI suffix"
  const path = u.pathname.replace(/\/+$/, '')
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ]
}

/**
 * Fetches the issuer's metadata. Returns an error message when neither document can be used.
 *
 * "The 'issuer' value returned MUST be identical to the authorization server's issuer identifier
 * value into which the well-known URI string was inserted … If these values are not identical,
 * the data contained in the response MUST NOT be used." (RFC 8414 §3.3)
 */
export async function discover(
  fetch: FetchLike,
  issuer: string,
  limits: SendLimits,
  now: () => number,
): Promise<Discovered | { error: string; attempts: number }> {
  const problems: string[] = []
  let attempts = 0
  for (const url of wellKnownUrls(issuer)) {
    attempts++
    const sent = await send(fetch, { method: 'GET', url, headers: [['Accept', 'application/json']] }, limits, now)
    if (!sent.ok) {
      problems.push(`${url}: ${sent.error}`)
      continue
    }
    const { status, json } = sent.response
    if (status !== 200) {
      problems.push(`${url}: HTTP ${status}`)
      continue
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      problems.push(`${url}: the body is not a JSON object`)
      continue
    }
    const metadata = json as Record<string, unknown>
    if (metadata.issuer !== issuer) {
      problems.push(`${url}: "issuer" is ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)} (RFC 8414 §3.3)`)
      continue
    }
    return { url, metadata, attempts }
  }
  return { error: `metadata discovery failed: ${problems.join('; ')}`, attempts }
}
