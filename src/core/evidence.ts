/**
 * Evidence records: each exchange as reports keep it, redacted, with its curl line.
 *
 * @module
 */
import type { Exchange } from '../schema/report.ts'
import type { ReceivedResponse, SendResult } from './http.ts'
import type { Redactor } from './redact.ts'
import type { PreparedRequest } from './request/build.ts'

/** How much of a response body a report keeps. */
const BODY_EXCERPT_CHARS = 4096

/** Headers as one object, repeated ones joined as `Headers` does. */
export function headerObject(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of headers) out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`
  return out
}

/** The request half of an exchange (the response is added once its token is known to the redactor). */
export function recordExchange(label: string, prepared: PreparedRequest, sent: SendResult, redactor: Redactor): Exchange {
  const d = prepared.display
  return {
    label,
    request: {
      method: d.method,
      url: redactor.scrub(d.url),
      headers: redactor.scrubDeep(headerObject(d.headers)),
      body: d.body === undefined ? undefined : redactor.scrub(d.body),
    },
    error: sent.ok ? undefined : redactor.scrub(sent.error),
    durationMs: sent.durationMs,
    curl: redactor.scrub(prepared.curl),
  }
}

export function discoveryExchange(url: string, res: ReceivedResponse, redactor: Redactor): Exchange {
  return {
    label: 'metadata discovery',
    request: { method: 'GET', url, headers: { Accept: 'application/json' } },
    response: responseRecord(res, redactor),
    durationMs: 0,
    curl: `curl -sS -i '${url.replace(/'/g, `'\\''`)}'`,
  }
}

export function responseRecord(res: ReceivedResponse, redactor: Redactor): Exchange['response'] {
  let body = res.text.length > BODY_EXCERPT_CHARS ? `${res.text.slice(0, BODY_EXCERPT_CHARS)}…` : res.text
  body = redactor.scrub(body)
  return {
    status: res.status,
    headers: redactor.scrubDeep(headerObject(res.headers)),
    body,
    bodyBytes: res.bytes,
    truncated: res.truncated,
  }
}
