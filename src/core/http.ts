/**
 * Sending one request the way a careful client does: no automatic redirects (a redirect is a
 * finding, and must not carry credentials elsewhere), a timeout that also covers the body, and a
 * cap on how much of the body is read.
 *
 * @module
 */
import { jsonDepth } from '../checks/_util.ts'
import { decodeBody } from './charset.ts'
import { jsonMembers } from './json-members.ts'
import type { ClientCertificate } from './resolve.ts'

/**
 * TLS beyond the defaults: a client certificate to present (RFC 8705 mutual TLS) and certificates
 * the server's may chain to. A transport that cannot present a certificate says so
 * (FetchLike.clientCertificates), and the request is not sent without it.
 */
export interface TlsOptions {
  certificate?: ClientCertificate
  ca?: string
}

/** What `send` asks of a transport: the subset of `fetch` it uses. */
export interface SendInit {
  method: string
  headers: Array<[string, string]>
  body?: string
  redirect: 'manual'
  signal: AbortSignal
  /** How long a new connection may take to open; transports that can tell connecting from waiting honour it (fetch cannot). */
  connectTimeoutMs?: number
  tls?: TlsOptions
}

/**
 * What `send` reads of a response. `fetch`'s Response has it; so does the CLI's lighter node:http
 * transport, which is why this is narrower than Response.
 */
export interface ResponseLike {
  readonly status: number
  readonly headers: Headers
  readonly body: { getReader(): BodyReader } | null
}

export interface BodyReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>
  cancel(): Promise<void>
}

/** `fetch` itself, or a transport that behaves as it does for the requests `send` makes. */
export interface FetchLike {
  (url: string, init: SendInit): Promise<ResponseLike>
  /**
   * How this transport presents client certificates (RFC 8705): from PEM (node:https, Deno's HTTP
   * client) or through Worker mtls_certificates bindings. None when absent: a request that would
   * present one is skipped with the reason, never sent without it.
   */
  clientCertificates?: ReadonlyArray<'pem' | 'binding'>
}

export interface OutgoingRequest {
  method: string
  url: string
  headers: Array<[string, string]>
  body?: string
  tls?: TlsOptions
}

export interface ReceivedResponse {
  status: number
  headers: Headers
  text: string
  bytes: number
  truncated: boolean
  /** The parsed body when it is JSON; undefined otherwise. */
  json: unknown
  jsonError?: string
  /** How the body's bytes were read (charset.ts); `utf-8` unless they said otherwise. */
  encoding: string
  /** Why the bytes are not UTF-8 without a byte order mark (RFC 8259 §8.1); undefined when they are. */
  notUtf8?: string
  /** Every member with a string value as written in the body, a name written twice included. */
  stringMembers: Array<[string, string]>
  /** Member names written twice in one object, as paths, when the body parsed as JSON. */
  duplicateMembers?: string[]
}

/** Why a request got no response: what a session counts to tell a dead or throttling target. */
export type SendFailure = 'timeout' | 'connection' | 'deadline' | 'rate-limited' | 'stopped'

export type SendResult = { ok: true; response: ReceivedResponse; durationMs: number } | { ok: false; error: string; durationMs: number; failure: SendFailure }

export interface SendLimits {
  timeoutMs: number
  maxResponseBytes: number
  /** Deeper JSON is not parsed (a hostile body cannot exhaust the stack). */
  maxJsonDepth?: number
  /** Aborted when the whole run's deadline passes. */
  deadline?: AbortSignal
  /** Passed to the transport (see SendInit). */
  connectTimeoutMs?: number
  /** Aborted, with the reason as text, when the target is stopped (see Watchdog): requests in flight end at once. */
  stop?: AbortSignal
}

/** Sends `req`; never throws for network, timeout or body problems (they become `ok: false`). */
export async function send(fetch: FetchLike, req: OutgoingRequest, limits: SendLimits, now: () => number): Promise<SendResult> {
  const started = now()
  if (limits.deadline?.aborted) return { ok: false, error: 'the run deadline was reached', durationMs: 0, failure: 'deadline' }
  if (limits.stop?.aborted) return { ok: false, error: String(limits.stop.reason), durationMs: 0, failure: 'stopped' }
  // One controller per request, released when it ends: AbortSignal.any() on the run's long-lived
  // deadline would keep every request's signal (and what it references) alive until the run ends.
  const controller = new AbortController()
  let reason: 'timeout' | 'deadline' | 'stopped' | undefined
  const timer = setTimeout(() => {
    reason = 'timeout'
    controller.abort()
  }, limits.timeoutMs)
  const onDeadline = () => {
    reason ??= 'deadline'
    controller.abort()
  }
  limits.deadline?.addEventListener('abort', onDeadline, { once: true })
  const onStop = () => {
    reason ??= 'stopped'
    controller.abort()
  }
  limits.stop?.addEventListener('abort', onStop, { once: true })
  const signal = controller.signal
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal,
      connectTimeoutMs: limits.connectTimeoutMs,
      ...(req.tls ? { tls: req.tls } : {}),
    })
    const { body, bytes, truncated } = await readCapped(res, limits.maxResponseBytes)
    const { text, encoding, notUtf8 } = decodeBody(body, res.headers.get('content-type'))
    const members = jsonMembers(text)
    const response: ReceivedResponse = { status: res.status, headers: res.headers, text, bytes, truncated, json: undefined, encoding, stringMembers: members.strings }
    if (notUtf8) response.notUtf8 = notUtf8
    if (!truncated && text.trim() !== '') {
      const depth = limits.maxJsonDepth ? jsonDepth(text) : 0
      if (limits.maxJsonDepth && depth > limits.maxJsonDepth) response.jsonError = `JSON nested deeper than ${limits.maxJsonDepth} levels; not parsed`
      else
        try {
          response.json = JSON.parse(text)
          response.duplicateMembers = members.duplicates
        } catch (e) {
          response.jsonError = e instanceof Error ? e.message : String(e)
        }
    }
    return { ok: true, response, durationMs: now() - started }
  } catch (e) {
    if (reason === 'deadline') return { ok: false, error: 'the run deadline was reached', durationMs: now() - started, failure: 'deadline' }
    if (reason === 'stopped') return { ok: false, error: String(limits.stop!.reason), durationMs: now() - started, failure: 'stopped' }
    if (reason === 'timeout') return { ok: false, error: `no complete response within ${limits.timeoutMs} ms`, durationMs: now() - started, failure: 'timeout' }
    return { ok: false, error: describeFetchError(e, limits), durationMs: now() - started, failure: 'connection' }
  } finally {
    clearTimeout(timer)
    limits.deadline?.removeEventListener('abort', onDeadline)
    limits.stop?.removeEventListener('abort', onStop)
  }
}

async function readCapped(res: ResponseLike, cap: number): Promise<{ body: Uint8Array; bytes: number; truncated: boolean }> {
  if (!res.body) return { body: new Uint8Array(0), bytes: 0, truncated: false }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let bytes = 0
  let truncated = false
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    const room = cap - bytes
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room))
      bytes += room
      truncated = true
      await reader.cancel().catch(() => {})
      break
    }
    chunks.push(value)
    bytes += value.byteLength
  }
  const joined = new Uint8Array(bytes)
  let offset = 0
  for (const c of chunks) {
    joined.set(c, offset)
    offset += c.byteLength
  }
  return { body: joined, bytes, truncated }
}

function describeFetchError(e: unknown, limits: SendLimits): string {
  if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no complete response within ${limits.timeoutMs} ms`
  const err = e as { message?: string; cause?: { code?: string; message?: string } }
  const cause = err?.cause?.code ?? err?.cause?.message
  return `request failed: ${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`
}
