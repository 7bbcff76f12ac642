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
import { isLoopbackUrl } from '../schema/target.ts'
import type { TargetFacts } from './capabilities.ts'
import { discover } from './discovery.ts'
import { discoveryExchange } from './evidence.ts'
import { send, type FetchLike, type OutgoingRequest, type ReceivedResponse, type SendLimits, type SendResult } from './http.ts'
import type { RunContext } from './engine.ts'
import type { RefScope } from './refs.ts'
import type { DpopKey } from './request/build.ts'
import type { ResolvedTarget } from './resolve.ts'
import { Throttle } from './throttle.ts'

export interface Session extends TargetFacts {
  resolved: ResolvedTarget
  ctx: RunContext
  /** Sends one request through the target's throttle, retrying 429s within bounds. */
  send: (req: OutgoingRequest) => Promise<SendResult>
  endpoints: RefScope['endpoints'] & { token: string }
  /** The metadata document discovery used, as evidence for metadata cases. */
  discovered?: { response: ReceivedResponse; exchange: Exchange; tried: NonNullable<CheckInput['discovery']> }
  discoveryTried?: NonNullable<CheckInput['discovery']>
  deadline: AbortSignal
  dpopKey: () => Promise<DpopKey>
  unregisteredKey: (alg: string) => Promise<CryptoKey>
  jwks: () => Promise<JsonWebKeySetLike | { error: string } | undefined>
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

/** Opens a session: the throttle and deadline, then discovery. Never throws. */
export async function openSession(resolved: ResolvedTarget, ctx: RunContext): Promise<Opened> {
  const { target, redactor } = resolved
  const deadline = new AbortController()
  const deadlineTimer = setTimeout(() => deadline.abort(), target.limits.runDeadlineMs)
  const close = () => clearTimeout(deadlineTimer)
  const limits: SendLimits = {
    timeoutMs: target.limits.timeoutMs,
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
  const sendThrottled = (req: OutgoingRequest) => timed(ctx.metrics, 'request-latency', () => throttledSend(ctx.fetch, req, limits, throttle, ctx.now))

  let tokenEndpoint = target.tokenEndpoint
  let jwksUri = target.jwksUri
  let metadata: Record<string, unknown> | undefined
  let discovered: Session['discovered']
  let discoveryTried: Session['discoveryTried']
  const discovery: TargetResult['discovery'] = {}
  let requests = 0
  if (target.issuer) {
    const found = await timed(ctx.metrics, 'discovery', () => discover(sendThrottled, target.issuer!))
    requests += found.attempts
    discoveryTried = found.tried
    if ('error' in found) discovery.error = redactor.scrub(found.error)
    else {
      discovery.url = found.url
      discovered = { response: found.response, tried: found.tried, exchange: discoveryExchange(found.url, found.response, redactor) }
      const md = (metadata = found.metadata)
      // A fragment is never part of a request (RFC 3986 §3.5): it is judged as metadata, not used.
      if (!tokenEndpoint && typeof md.token_endpoint === 'string') tokenEndpoint = md.token_endpoint.replace(/#.*$/, '')
      if (!jwksUri && typeof md.jwks_uri === 'string') jwksUri = md.jwks_uri
    }
  }
  if (!tokenEndpoint) {
    return { error: discovery.error ?? 'no token endpoint: give "tokenEndpoint" or an issuer whose metadata has one', discovery, requests, close }
  }
  const advertised = (name: string) => (typeof metadata?.[name] === 'string' ? (metadata[name] as string) : undefined)
  const introspectionEndpoint = target.introspectionEndpoint ?? advertised('introspection_endpoint')
  const revocationEndpoint = target.revocationEndpoint ?? advertised('revocation_endpoint')
  const session: Session = {
    resolved,
    ctx,
    send: sendThrottled,
    issuer: target.issuer,
    metadata,
    endpoints: { token: tokenEndpoint, introspection: introspectionEndpoint, revocation: revocationEndpoint, jwks: jwksUri },
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
  session.jwks = once(() => fetchJwks(session, jwksUri))
  return { session, discovery, tokenEndpoint, jwksUri, requests, close }
}

/** What a reference resolves against in this session, before a request adds its own part. */
export function sessionScope(s: Session, issued: string | undefined): RefScope {
  return {
    resolved: s.resolved,
    issuer: s.issuer,
    endpoints: s.endpoints,
    metadata: s.metadata,
    nowSec: Math.floor(s.ctx.now() / 1000),
    random: s.ctx.randomId(),
    issued,
  }
}

/**
 * Sends through the throttle; a 429 is retried after its (bounded) Retry-After, at most
 * maxRetries times, then reported as the reason the case could not be judged.
 */
async function throttledSend(fetch: FetchLike, req: OutgoingRequest, limits: SendLimits, throttle: Throttle, now: () => number): Promise<SendResult> {
  for (let attempt = 0; ; attempt++) {
    await throttle.acquire()
    const sent = await send(fetch, req, limits, now)
    if (!sent.ok) return sent
    const wait = throttle.observe(sent.response.status, sent.response.headers)
    if (wait === undefined) return sent
    if (attempt >= throttle.options.maxRetries) {
      const retryAfter = sent.response.headers.get('retry-after')
      return { ok: false, error: `rate limited: HTTP 429 after ${attempt + 1} attempts${retryAfter ? ` (Retry-After: ${retryAfter})` : ' (no Retry-After)'}`, durationMs: sent.durationMs }
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
