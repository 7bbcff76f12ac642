/**
 * One target's session for a run: its discovered metadata and endpoints, the throttle every
 * request goes through, the run deadline, and what is fetched or made once per run (the JWKS, the
 * DPoP key).
 *
 * @module
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import type { CheckInput, JsonWebKeySetLike } from '../checks/types.ts'
import type { Exchange, TargetResult } from '../schema/report.ts'
import { isLoopbackUrl, namedOrigins } from '../schema/target.ts'
import { bounded } from './bounds.ts'
import type { TargetFacts } from './capabilities.ts'
import { discover } from './discovery.ts'
import { discoveryExchange } from './evidence.ts'
import { send, type FetchLike, type OutgoingRequest, type ReceivedResponse, type SendFailure, type SendLimits, type SendResult } from './http.ts'
import type { RunContext } from './engine.ts'
import type { RefScope } from './refs.ts'
import type { AudienceChoice } from './audience.ts'
import type { DpopKey } from './request/build.ts'
import type { ResolvedTarget } from './resolve.ts'
import { Throttle } from './throttle.ts'

export interface Session extends TargetFacts {
  resolved: ResolvedTarget
  ctx: RunContext
  /** Sends one request through the target's throttle, retrying 429s within bounds. */
  send: (req: OutgoingRequest) => Promise<SendResult>
  endpoints: RefScope['endpoints']
  mtlsEndpoints: NonNullable<RefScope['mtlsEndpoints']>
  /** The origins credentials and tokens may go to (the target's own, and those it allows). */
  allowedOrigins: string[]
  /** Why an endpoint the metadata advertises is not used, by endpoint. */
  refused: Partial<Record<'token' | 'introspection' | 'revocation' | 'jwks', string>>
  /** The metadata document discovery used, as evidence for metadata cases. */
  discovered?: { response: ReceivedResponse; exchange: Exchange; tried: NonNullable<CheckInput['discovery']> }
  discoveryTried?: NonNullable<CheckInput['discovery']>
  deadline: AbortSignal
  dpopKey: () => Promise<DpopKey>
  unregisteredKey: (alg: string) => Promise<CryptoKey>
  jwks: () => Promise<CheckInput['jwks']>
  /** The audience of the run's client assertions: the target's, or probed once (audience.ts). */
  assertionAudience?: () => Promise<AudienceChoice>
  requests: number
}

export interface Opened {
  /** Undefined when the target cannot be run at all (no token endpoint). */
  session?: Session
  error?: string
  discovery: TargetResult['discovery']
  tokenEndpoint?: string
  jwksUri?: string
  requests: number
  /** Stops the deadline timer; called however the run ends. */
  close: () => void
}

/**
 * Response members whose values are tokens or credentials, wherever in a response they appear:
 * RFC 6749 §5.1, OpenID Connect Core §3.1.3.3 (id_token), RFC 8693 §2.2.1 (issued_token),
 * RFC 7591 §3.2.1 (client_secret, registration_access_token).
 */
const SECRET_MEMBERS = new Map(
  Object.entries({
    access_token: 'access token',
    refresh_token: 'refresh token',
    id_token: 'id token',
    issued_token: 'issued token',
    client_secret: 'client secret',
    registration_access_token: 'registration access token',
  }),
)

/** An endpoint URL longer than this is not used: no server needs one, and a report keeps URLs. */
const MAX_URL_CHARS = 4096

/** Adds the time `fn` takes to `metrics[phase]`, when metrics are being kept. */
export async function timed<T>(metrics: Record<string, number> | undefined, phase: string, fn: () => Promise<T>): Promise<T> {
  if (!metrics) return fn()
  const started = performance.now()
  try {
    return await fn()
  } finally {
    metrics[phase] = (metrics[phase] ?? 0) + performance.now() - started
  }
}

/** Opens a session: the throttle and deadline, then discovery. Never throws, and never leaves its timer behind. */
export async function openSession(resolved: ResolvedTarget, ctx: RunContext): Promise<Opened> {
  const deadline = new AbortController()
  const deadlineTimer = setTimeout(() => deadline.abort(), resolved.target.limits.runDeadlineMs)
  const close = () => clearTimeout(deadlineTimer)
  try {
    return await open(resolved, ctx, deadline, close)
  } catch (e) {
    close()
    return { error: bounded(resolved.redactor.scrub(`the session could not be opened: ${e instanceof Error ? e.message : String(e)}`)), discovery: {}, requests: 0, close }
  }
}

async function open(resolved: ResolvedTarget, ctx: RunContext, deadline: AbortController, close: () => void): Promise<Opened> {
  const { target, redactor } = resolved
  const limits: SendLimits = {
    timeoutMs: target.limits.timeoutMs,
    connectTimeoutMs: target.limits.connectTimeoutMs,
    maxResponseBytes: target.limits.maxResponseBytes,
    maxJsonDepth: target.limits.maxJsonDepth,
    deadline: deadline.signal,
  }
  const hosted = [target.issuer, target.tokenEndpoint].some((u) => u && !isLoopbackUrl(u))
  const throttle = new Throttle({
    // Hosted tenants rate-limit their token endpoints: gentle unless the target says otherwise.
    requestsPerSecond: target.limits.requestsPerSecond ?? (hosted ? 10 : undefined),
    maxRetries: target.limits.maxRetries,
    maxRetryAfterMs: target.limits.maxRetryAfterMs,
    now: ctx.now,
    sleep: ctx.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms))),
  })
  const watch = new Watchdog(target.limits.unresponsiveAfter, target.limits.throttledAfter)
  limits.stop = watch.signal
  // A private CA the target names goes with every request to it.
  const trusted = resolved.caPem ? (req: OutgoingRequest): OutgoingRequest => ({ ...req, tls: { ...req.tls, ca: resolved.caPem } }) : (req: OutgoingRequest) => req
  const sendThrottled = async (req: OutgoingRequest) => {
    const sent = await timed(ctx.metrics, 'request-latency', () => watchedSend(ctx.fetch, trusted(req), limits, throttle, watch, ctx.now))
    // Every copy, as written: a member the JSON parser dropped for a later one is a secret too.
    if (sent.ok)
      for (const [name, value] of sent.response.stringMembers) {
        // A Map, not an object: a member named `constructor` is no secret's name.
        const label = SECRET_MEMBERS.get(name)
        if (label) redactor.add(value, label)
      }
    return sent
  }

  let metadata: Record<string, unknown> | undefined
  let discovered: Session['discovered']
  let discoveryTried: Session['discoveryTried']
  const discovery: TargetResult['discovery'] = {}
  let requests = 0
  if (target.issuer) {
    const found = await timed(ctx.metrics, 'discovery', () => discover(sendThrottled, target.issuer!))
    requests += found.attempts
    discoveryTried = found.tried
    if ('error' in found) discovery.error = bounded(redactor.scrub(found.error))
    else {
      discovery.url = found.url
      discovered = { response: found.response, tried: found.tried, exchange: discoveryExchange(found.url, found.response, redactor) }
      metadata = found.metadata
    }
  }
  // Credentials, assertions and tokens go only to origins the target names: an endpoint the
  // metadata advertises anywhere else is not used (metadata.endpoints-on-named-origins reports it).
  const allowedOrigins = namedOrigins(target)
  const refused: Session['refused'] = {}
  const usable = (v: unknown, member: string): { url: string } | { why: string } | undefined => {
    if (typeof v !== 'string') return undefined
    const url = v.length <= MAX_URL_CHARS && URL.canParse(v) ? new URL(v) : undefined
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return { why: `the metadata's ${member} is not an http(s) URL` }
    if (!allowedOrigins.includes(url.origin))
      return {
        why: `the metadata advertises ${member} on ${url.origin}, an origin the target does not name: grantcheck does not send credentials there (name it, or list it in allowedOrigins, if it is the server's)`,
      }
    // A fragment is never part of a request (RFC 3986 §3.5): it is judged as metadata, not used.
    url.hash = ''
    return { url: url.toString() }
  }
  const advertised = (name: keyof Session['refused'], member: string): string | undefined => {
    const u = usable(metadata?.[member], member)
    if (u && 'why' in u) refused[name] = u.why
    return u && 'url' in u ? u.url : undefined
  }
  // RFC 8705 §5: a client using mutual TLS sends to the alias of an endpoint when there is one.
  const mtlsEndpoints: Session['mtlsEndpoints'] = {}
  const aliases = metadata?.mtls_endpoint_aliases
  if (aliases !== null && typeof aliases === 'object' && !Array.isArray(aliases))
    for (const name of ['token', 'introspection', 'revocation'] as const) {
      const member = `${name}_endpoint`
      const u = usable((aliases as Record<string, unknown>)[member], `mtls_endpoint_aliases.${member}`)
      if (u) mtlsEndpoints[name] = 'url' in u ? u.url : { refused: u.why }
    }
  const tokenEndpoint = target.tokenEndpoint ?? advertised('token', 'token_endpoint')
  const jwksUri = target.jwksUri ?? advertised('jwks', 'jwks_uri')
  if (!tokenEndpoint && !refused.token) {
    return { error: discovery.error ?? 'no token endpoint: give "tokenEndpoint" or an issuer whose metadata has one', discovery, requests, close }
  }
  const introspectionEndpoint = target.introspectionEndpoint ?? advertised('introspection', 'introspection_endpoint')
  const revocationEndpoint = target.revocationEndpoint ?? advertised('revocation', 'revocation_endpoint')
  const session: Session = {
    resolved,
    ctx,
    send: sendThrottled,
    issuer: target.issuer,
    metadata,
    endpoints: { token: tokenEndpoint, introspection: introspectionEndpoint, revocation: revocationEndpoint, jwks: jwksUri },
    mtlsEndpoints,
    allowedOrigins,
    refused,
    introspectionEndpoint,
    revocationEndpoint,
    discovered,
    discoveryTried,
    deadline: deadline.signal,
    dpopKey: once(generateDpopKey),
    unregisteredKey: standInKey,
    jwks: async () => undefined,
    requests,
  }
  session.jwks = once(async () => (refused.jwks ? { notFetched: refused.jwks } : fetchJwks(session, jwksUri)))
  return { session, discovery, tokenEndpoint, jwksUri, requests, close }
}

/** What a reference resolves against in this session, before a request adds its own part. */
export function sessionScope(s: Session, issued: string | undefined, caseRandom?: string): RefScope {
  return {
    resolved: s.resolved,
    issuer: s.issuer,
    endpoints: s.endpoints,
    mtlsEndpoints: s.mtlsEndpoints,
    refused: s.refused,
    metadata: s.metadata,
    nowSec: Math.floor(s.ctx.now() / 1000),
    random: s.ctx.randomId(),
    caseRandom,
    issued,
  }
}

/**
 * Tells a target that stopped answering, or that answers only 429, from one slow or throttled
 * request: consecutive timeouts and connection failures, or consecutive 429 answers, across the
 * whole target. Past the bound the target is stopped, and every later request fails at once with
 * the reason, so a dead target costs about one request timeout rather than one per case.
 *
 * Until the target has answered once, one timeout or connection failure stops it: the requests
 * before the cases (discovery, then the audience probe) go one wave at a time, so waiting for three
 * in a row there would cost three timeouts, and a target that has shown no sign of life for a whole
 * request timeout is not a slow one.
 */
class Watchdog {
  #answered = false
  #failures = 0
  #throttled = 0
  #lastRetryAfter: string | null = null
  stopped: string | undefined
  /** Aborted when the target is stopped, so that the requests still in flight end too. */
  readonly signal: AbortSignal
  readonly #stop = new AbortController()
  readonly #unresponsiveAfter: number
  readonly #throttledAfter: number
  constructor(unresponsiveAfter: number, throttledAfter: number) {
    this.#unresponsiveAfter = unresponsiveAfter
    this.#throttledAfter = throttledAfter
    this.signal = this.#stop.signal
  }

  #halt(reason: string): void {
    this.stopped = reason
    this.#stop.abort(reason)
  }

  /** Counts what a request came to, and stops the target past either bound. */
  observe(result: { ok: true; status: number; retryAfter: string | null } | { ok: false; failure: SendFailure; error: string }): void {
    if (this.stopped) return
    if (result.ok) {
      this.#answered = true
      this.#failures = 0
      if (result.status !== 429) this.#throttled = 0
      else {
        this.#lastRetryAfter = result.retryAfter
        if (++this.#throttled >= this.#throttledAfter)
          this.#halt(
            `target throttles every request: ${this.#throttled} HTTP 429 answers in a row${this.#lastRetryAfter ? ` (Retry-After: ${this.#lastRetryAfter})` : ''}; its remaining cases were not sent (limits.throttledAfter)`,
          )
      }
      return
    }
    if (result.failure !== 'timeout' && result.failure !== 'connection') return
    if (!this.#answered) return this.#halt(`target unresponsive: no answer to its first request (${result.error}); its remaining cases were not sent (limits.unresponsiveAfter)`)
    if (++this.#failures >= this.#unresponsiveAfter)
      this.#halt(`target unresponsive: ${this.#failures} timeouts or connection failures in a row (the last: ${result.error}); its remaining cases were not sent (limits.unresponsiveAfter)`)
  }
}

/**
 * Sends through the throttle and the watchdog; a 429 is retried after its (bounded) Retry-After,
 * at most maxRetries times, then reported as the reason the case could not be judged.
 */
async function watchedSend(fetch: FetchLike, req: OutgoingRequest, limits: SendLimits, throttle: Throttle, watch: Watchdog, now: () => number): Promise<SendResult> {
  for (let attempt = 0; ; attempt++) {
    if (watch.stopped) return { ok: false, error: watch.stopped, durationMs: 0, failure: 'stopped' }
    await throttle.acquire()
    if (watch.stopped) return { ok: false, error: watch.stopped, durationMs: 0, failure: 'stopped' }
    const sent = await send(fetch, req, limits, now)
    if (!sent.ok) {
      watch.observe(sent)
      return sent
    }
    const retryAfter = sent.response.headers.get('retry-after')
    watch.observe({ ok: true, status: sent.response.status, retryAfter })
    const wait = throttle.observe(sent.response.status, sent.response.headers)
    if (wait === undefined) return sent
    if (watch.stopped) return { ok: false, error: watch.stopped, durationMs: sent.durationMs, failure: 'stopped' }
    if (attempt >= throttle.options.maxRetries) {
      return {
        ok: false,
        error: `rate limited: HTTP 429 after ${attempt + 1} attempts${retryAfter ? ` (Retry-After: ${retryAfter})` : ' (no Retry-After)'}`,
        durationMs: sent.durationMs,
        failure: 'rate-limited',
      }
    }
  }
}

async function fetchJwks(s: Session, jwksUri: string | undefined): Promise<JsonWebKeySetLike | { error: string } | undefined> {
  if (!jwksUri) return undefined
  s.requests++
  const sent = await s.send({ method: 'GET', url: jwksUri, headers: [['Accept', 'application/json']] })
  if (!sent.ok) return { error: `${jwksUri}: ${sent.error}` }
  const json = sent.response.json as { keys?: unknown } | undefined
  if (sent.response.status !== 200) return { error: `${jwksUri}: HTTP ${sent.response.status}` }
  if (!json || !Array.isArray(json.keys)) return { error: `${jwksUri}: not a JWK Set (no "keys" array)${sent.response.jsonError ? `: ${sent.response.jsonError}` : ''}` }
  const max = s.resolved.target.limits.maxJwksKeys
  if (json.keys.length > max) return { error: `${jwksUri}: ${json.keys.length} keys, more than the ${max} a key set may have here (limits.maxJwksKeys)` }
  return { keys: json.keys.filter((k): k is Record<string, unknown> => !!k && typeof k === 'object') }
}

/** A fresh ES256 key for DPoP proofs (RFC 9449), one per target per run. */
async function generateDpopKey(): Promise<DpopKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const privateJwk = await exportJWK(privateKey)
  const { d: _d, ...publicJwk } = privateJwk
  return { privateKey, privateJwk, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) }
}

/**
 * A key pair no client registered, per algorithm, for assertions that must be refused. It stands
 * for nobody, so one per process serves every target and run (RSA generation takes ~200 ms).
 */
const standInKey = memoizeBy((alg: string) => generateKeyPair(alg).then((k) => k.privateKey))

/** Memoizes an async function of one string argument. */
function memoizeBy<T>(fn: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>()
  return (key) => {
    let p = cache.get(key)
    if (!p) cache.set(key, (p = fn(key)))
    return p
  }
}

/** Memoizes an async function of no arguments (one JWKS fetch per target per run). */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined
  return () => (p ??= fn())
}
