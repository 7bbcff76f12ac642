/**
 * Evidence records: each exchange as reports keep it, redacted, with its curl line.
 *
 * @module
 */
import type { Exchange } from '../schema/report.ts'
import { bounded, KEPT_HEADER } from './bounds.ts'
import type { ReceivedResponse, SendResult } from './http.ts'
import type { Redactor } from './redact.ts'
import type { PreparedRequest } from './request/build.ts'

/** How much of a response body a report keeps. */
const BODY_EXCERPT_CHARS = 4096

/** Headers as [name, value] pairs: a list, so that a name such as __proto__ is only a name. */
function headerPairs(headers: Iterable<[string, string]>): Array<[string, string]> {
  return Array.from(headers, ([k, v]): [string, string] => [k, v])
}

/** The request half of an exchange (the response is added once its token is known to the redactor). */
export function recordExchange(label: string, prepared: PreparedRequest, sent: SendResult, redactor: Redactor): Exchange {
  const d = prepared.display
  return {
    label,
    request: {
      method: d.method,
      url: redactor.scrub(d.url),
      headers: redactor.scrubDeep(headerPairs(d.headers)),
      body: d.body === undefined ? undefined : redactor.scrub(d.body),
      ...(d.certificate ? { certificate: d.certificate } : {}),
    },
    error: sent.ok ? undefined : bounded(redactor.scrub(sent.error)),
    durationMs: sent.durationMs,
    curl: redactor.scrub(prepared.curl),
  }
}

export function discoveryExchange(url: string, res: ReceivedResponse, redactor: Redactor): Exchange {
  return {
    label: 'metadata discovery',
    request: { method: 'GET', url, headers: [['Accept', 'application/json']] },
    response: responseRecord(res, redactor),
    durationMs: 0,
    curl: `curl -sS -i '${url.replace(/'/g, `'\\''`)}'`,
  }
}

export function responseRecord(res: ReceivedResponse, redactor: Redactor): Exchange['response'] {
  // Scrubbed before it is cut, over a window long enough to hold any secret that starts in the
  // excerpt: a cut through a secret would leave its start unredacted.
  const scrubbed = redactor.scrub(res.text.slice(0, BODY_EXCERPT_CHARS + redactor.reach))
  const body = scrubbed.length > BODY_EXCERPT_CHARS || res.text.length > BODY_EXCERPT_CHARS + redactor.reach ? `${scrubbed.slice(0, BODY_EXCERPT_CHARS)}…` : scrubbed
  return {
    status: res.status,
    headers: redactor.scrubDeep(headerPairs(res.headers)).map(([k, v]): [string, string] => [bounded(k, 256), bounded(v, KEPT_HEADER)]),
    body,
    bodyBytes: res.bytes,
    truncated: res.truncated,
  }
}
