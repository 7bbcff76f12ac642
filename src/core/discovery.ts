/**
 * Authorization server metadata discovery: RFC 8414 first, then OpenID Connect Discovery.
 *
 * @see [RFC 8414 §3](https://www.rfc-editor.org/rfc/rfc8414.html#section-3)
 * @module
 */
import type { OutgoingRequest, ReceivedResponse, SendResult } from './http.ts'

/** One well-known document tried, for the metadata checks' evidence. */
export interface DiscoveryAttempt {
  url: string
  status?: number
  issuer?: unknown
  problem?: string
}

export interface Discovered {
  url: string
  metadata: Record<string, unknown>
  /** The metadata document's response, which metadata cases judge. */
  response: ReceivedResponse
  tried: DiscoveryAttempt[]
  /** Requests sent, for the run's request count. */
  attempts: number
}

/** The two well-known URLs for an issuer, in the order they are tried. */
function wellKnownUrls(issuer: string): string[] {
  const u = new URL(issuer)
  // "any terminating '/' MUST be removed before inserting '/' and the well-known URI suffix"
  const path = u.pathname.replace(/\/+$/, '')
  return [`${u.origin}/.well-known/oauth-authorization-server${path}`, `${u.origin}${path}/.well-known/openid-configuration`]
}

/**
 * Fetches the issuer's metadata. Returns an error message when neither document can be used.
 *
 * "The 'issuer' value returned MUST be identical to the authorization server's issuer identifier
 * value into which the well-known URI string was inserted … If these values are not identical,
 * the data contained in the response MUST NOT be used." (RFC 8414 §3.3)
 */
export async function discover(send: (req: OutgoingRequest) => Promise<SendResult>, issuer: string): Promise<Discovered | { error: string; attempts: number; tried: DiscoveryAttempt[] }> {
  const tried: DiscoveryAttempt[] = []
  for (const url of wellKnownUrls(issuer)) {
    const sent = await send({ method: 'GET', url, headers: [['Accept', 'application/json']] })
    if (!sent.ok) {
      tried.push({ url, problem: sent.error })
      // No answer at all (a timeout, a connection that failed, a stopped target): the second
      // document would cost another full timeout to learn the same. An answer, even a 404, goes on.
      if (sent.failure !== 'rate-limited') break
      continue
    }
    const { status, json } = sent.response
    const metadata = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined
    const attempt: DiscoveryAttempt = { url, status, issuer: metadata?.issuer }
    tried.push(attempt)
    if (status !== 200) attempt.problem = `HTTP ${status}`
    else if (!metadata) attempt.problem = 'the body is not a JSON object'
    else if (metadata.issuer !== issuer) attempt.problem = `"issuer" is ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)} (RFC 8414 §3.3)`
    else return { url, metadata, response: sent.response, tried, attempts: tried.length }
  }
  const problems = tried.map((t) => `${t.url}: ${t.problem}`)
  return { error: `metadata discovery failed: ${problems.join('; ')}`, attempts: tried.length, tried }
}
