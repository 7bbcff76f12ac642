/**
 * The engine: plan → cases → requests → exchanges → verdicts → report.
 *
 * It uses web-platform APIs only and receives all I/O through a {@link RunContext}, so the CLI,
 * the Worker and Deno run it unchanged.
 *
 * @module
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import type { CheckInput, JsonWebKeySetLike } from '../checks/types.ts'
import {
  REPORT_FORMAT,
  REPORT_VERSION,
  type CaseResult,
  type CheckResult,
  type Exchange,
  type Outcome,
  type Report,
  type TargetResult,
} from '../schema/report.ts'
import { resolveRequirement } from '../schema/requirements.ts'
import type { Level } from '../schema/suite.ts'
import { discover } from './discovery.ts'
import { send, type FetchLike, type OutgoingRequest, type ReceivedResponse, type SendLimits, type SendResult } from './http.ts'
import { Throttle } from './throttle.ts'
import { isLoopbackUrl } from '../schema/target.ts'
import { tryDecodeJwt, type DecodedJwt } from './jwt.ts'
import type { PlannedCase, PlannedCheck, PlannedStep, PlannedSuite } from './plan.ts'
import type { Redactor } from './redact.ts'
import type { RequestParam } from './curl.ts'
import { buildRequest, formEncode, type DpopKey, type PreparedRequest } from './request.ts'
import type { ResolvedTarget } from './resolve.ts'
import { summarize } from './summary.ts'

export interface RunContext {
  fetch: FetchLike
  /** Milliseconds since the epoch. */
  now: () => number
  /** A fresh random identifier (jti values, unknown client ids). */
  randomId: () => string
  toolVersion: string
  onEvent?: (event: RunEvent) => void
  /** Waits; injected so that tests of rate limiting need not wait for real. */
  sleep?: (ms: number) => Promise<void>
  /** When given, milliseconds spent per phase are added up here (the benchmark reads them). */
  metrics?: Record<string, number>
}

/** Adds the time `fn` takes to `metrics[phase]`, when metrics are being kept. */
async function timed<T>(metrics: Record<string, number> | undefined, phase: string, fn: () => Promise<T>): Promise<T> {
  if (!metrics) return fn()
  const started = performance.now()
  try {
    return await fn()
  } finally {
    metrics[phase] = (metrics[phase] ?? 0) + performance.now() - started
  }
}

export type RunEvent =
  | { type: 'target:start'; target: string; cases: number }
  | { type: 'case:result'; target: string; result: CaseResult }
  | { type: 'target:result'; result: TargetResult }

/** How much of a response body a report keeps. */
const BODY_EXCERPT_CHARS = 4096

/**
 * Capabilities a case may need beyond client roles, each with what is missing when it is
 * absent. Role names are camelCase words, so names with a dot or a dash never collide with them.
 */
const CAPABILITIES: Record<string, { has: (e: TargetEnv) => boolean; missing: string }> = {
  'scopes.restricted': { has: (e) => e.resolved.target.scopes.restricted !== undefined, missing: 'the target names no restricted scope' },
  'scopes.multiple': { has: (e) => e.resolved.target.scopes.valid.length > 1, missing: 'the target lists only one valid scope' },
  audience: { has: (e) => e.resolved.target.audience !== undefined, missing: 'the target sets no audience' },
  resource: { has: (e) => e.resolved.target.resource !== undefined, missing: 'the target sets no resource' },
  'redirect-uri': { has: (e) => e.resolved.target.redirectUri !== undefined, missing: 'the target names no registered redirect URI (redirectUri)' },
  issuer: { has: (e) => e.issuer !== undefined, missing: 'the target names no issuer' },
  metadata: { has: (e) => e.metadata !== undefined, missing: 'no authorization server metadata was discovered' },
  introspection: { has: (e) => e.introspectionEndpoint !== undefined, missing: 'the target has no introspection endpoint (RFC 7662)' },
  revocation: { has: (e) => e.revocationEndpoint !== undefined, missing: 'the target has no revocation endpoint (RFC 7009)' },
  // RFC 9449 §5.1: dpop_signing_alg_values_supported advertises DPoP support.
  dpop: {
    has: (e) => Array.isArray(e.metadata?.dpop_signing_alg_values_supported) && (e.metadata.dpop_signing_alg_values_supported as unknown[]).includes('ES256'),
    missing: 'the metadata does not advertise DPoP with ES256 (dpop_signing_alg_values_supported)',
  },
  // Proving RFC 6749 §2.3.1 encoding needs a secret that form-urlencoding changes, and that is a
  // legal client secret: "client-secret = *VSCHAR" (Appendix A.2).
  'special-characters': {
    has: (e) => {
      const s = e.resolved.clients.special?.secret
      return s !== undefined && /^[\x20-\x7e]+$/.test(s) && formEncode(s) !== s
    },
    missing: 'the "special" client\'s secret must contain VSCHAR characters that form-urlencoding changes (such as space + % & : =), and nothing outside %x20-7E',
  },
}

export function isCapability(name: string): boolean {
  return name in CAPABILITIES
}

/** Runs every planned suite against every target; targets run one after another. */
export async function runPlan(targets: ResolvedTarget[], suites: PlannedSuite[], ctx: RunContext): Promise<Report> {
  const startedAt = new Date(ctx.now()).toISOString()
  const results: TargetResult[] = []
  for (const t of targets) results.push(await runTarget(t, suites, ctx))
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: { name: 'grantcheck', version: ctx.toolVersion },
    runId: runIdFor(startedAt, ctx.randomId()),
    startedAt,
    finishedAt: new Date(ctx.now()).toISOString(),
    suites: suites.map((s) => ({ id: s.suite.id, title: s.suite.title, cases: s.cases.length })),
    targets: results,
  }
}

function runIdFor(iso: string, random: string): string {
  return `${iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${random.slice(0, 6)}`
}

interface TargetEnv {
  resolved: ResolvedTarget
  ctx: RunContext
  limits: SendLimits
  /** Sends one request through the target's throttle, retrying 429s within bounds. */
  send: (req: OutgoingRequest) => Promise<SendResult>
  issuer?: string
  metadata?: Record<string, unknown>
  tokenEndpoint: string
  introspectionEndpoint?: string
  revocationEndpoint?: string
  /** The metadata document discovery used, as evidence for metadata cases. */
  discovered?: { response: ReceivedResponse; exchange: Exchange; tried: NonNullable<CheckInput['discovery']> }
  discoveryTried?: NonNullable<CheckInput['discovery']>
  dpopKey: () => Promise<DpopKey>
  unregisteredKey: (alg: string) => Promise<CryptoKey>
  jwks: () => Promise<JsonWebKeySetLike | { error: string } | undefined>
  requests: number
}

/** Runs all cases against one target. Never throws: a target that cannot run is reported. */
export async function runTarget(resolved: ResolvedTarget, suites: PlannedSuite[], ctx: RunContext): Promise<TargetResult> {
  const { target, redactor } = resolved
  const started = ctx.now()
  const cases = suites.flatMap((s) => s.cases)
  ctx.onEvent?.({ type: 'target:start', target: target.name, cases: cases.length })
  const deadline = new AbortController()
  const deadlineTimer = setTimeout(() => deadline.abort(), target.limits.runDeadlineMs)
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
  let discovered: TargetEnv['discovered']
  let discoveryTried: TargetEnv['discoveryTried']
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

  let results: CaseResult[]
  let error: string | undefined
  if (!tokenEndpoint) {
    error = discovery.error ?? 'no token endpoint: give "tokenEndpoint" or an issuer whose metadata has one'
    results = cases.map((c) => erroredCase(c, error!))
  } else {
    const advertised = (name: string) => (typeof metadata?.[name] === 'string' ? (metadata[name] as string) : undefined)
    const env: TargetEnv = {
      resolved,
      ctx,
      limits,
      send: sendThrottled,
      issuer: target.issuer,
      metadata,
      tokenEndpoint,
      introspectionEndpoint: target.introspectionEndpoint ?? advertised('introspection_endpoint'),
      revocationEndpoint: target.revocationEndpoint ?? advertised('revocation_endpoint'),
      discovered,
      discoveryTried,
      dpopKey: once(generateDpopKey),
      unregisteredKey: standInKey,
      jwks: async () => undefined,
      requests,
    }
    env.jwks = once(() => fetchJwks(env, jwksUri))
    results = await mapPoolLongestFirst(cases, target.limits.concurrency, requestsOf, async (c) => {
      const ran = deadline.signal.aborted
        ? erroredCase(c, `the run deadline (${target.limits.runDeadlineMs} ms) was reached before this case started`)
        : await runCase(c, env)
      const r = markKnown(redactor.scrubDeep(ran), resolved.profile)
      ctx.onEvent?.({ type: 'case:result', target: target.name, result: r })
      return r
    })
    requests = env.requests
  }

  clearTimeout(deadlineTimer)
  const finished = ctx.now()
  const result: TargetResult = {
    name: target.name,
    profile: target.profile,
    issuer: target.issuer,
    tokenEndpoint,
    jwksUri,
    discovery,
    clients: Object.fromEntries(
      Object.values(resolved.clients).map((c) => [c.role, { clientId: c.clientId, authMethod: c.authMethod, secret: c.secretSource }]),
    ),
    error,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    requests,
    cases: results,
    summary: summarize(results),
  }
  // Scrubbed again as a whole: a token issued in one case may show up in another's response.
  const safe = redactor.scrubDeep(result)
  ctx.onEvent?.({ type: 'target:result', result: safe })
  return safe
}

async function runCase(planned: PlannedCase, env: TargetEnv): Promise<CaseResult> {
  const { case: c } = planned
  const { resolved, ctx } = env
  const started = ctx.now()
  const base = caseBase(planned)
  const finish = (outcome: Outcome, fields: Partial<CaseResult>): CaseResult => ({
    ...base,
    outcome,
    ...fields,
    durationMs: ctx.now() - started,
  })

  const roles = [...new Set([c.request.client, ...planned.steps.map((s) => s.request.client)])]
  const missing = [...roles, ...c.needs].filter((n) => (isCapability(n) ? !CAPABILITIES[n]!.has(env) : !resolved.clients[n]))
  if (missing.length) {
    const reason = missing.map((n) => (isCapability(n) ? CAPABILITIES[n]!.missing : `the target has no "${n}" client`)).join('; ')
    return finish('skipped', { reason })
  }

  const checks: CheckResult[] = []
  const exchanges: Exchange[] = []
  let issued: CheckInput['token']
  let last: { prepared: PreparedRequest; input: CheckInput } | undefined
  for (const [i, step] of planned.steps.entries()) {
    if (step.do === 'inspect') {
      if (!env.discovered) return finish('skipped', { reason: 'no authorization server metadata was discovered', checks, exchanges })
      exchanges.push(env.discovered.exchange)
      const input = baseInput(env, step.do, env.discovered.response)
      if (step.checks.some((p) => p.def.needsJwks)) input.jwks = await env.jwks()
      for (const p of step.checks) checks.push(await timedCheck(env, p, input))
      continue
    }
    const prepared = await prepareStep(step, env, issued, last?.prepared)
    if ('skip' in prepared) return finish('skipped', { reason: prepared.skip, checks, exchanges })
    if ('error' in prepared) return finish('errored', { reason: prepared.error, checks, exchanges })
    const label = planned.steps.length > 1 ? `step ${i + 1}: ${STEP_LABELS[step.do]}` : STEP_LABELS[step.do]
    const sent = await sendWithDpopNonce(prepared, step, env, issued, label, exchanges)
    if (!sent.ok) return finish('errored', { reason: sent.error, checks, exchanges })

    const fromResponse = step.do === 'token' || step.do === 'replay' ? extractToken(sent.response, resolved.redactor) : undefined
    if (step.do === 'token' && i === 0) issued = fromResponse
    // The exchange is recorded after the token is known to the redactor, so its body is clean.
    exchanges[exchanges.length - 1]!.response = responseRecord(sent.response, resolved.redactor)
    const input = baseInput(env, step.do, sent.response)
    input.request = {
      method: sent.prepared.outgoing.method,
      url: sent.prepared.outgoing.url,
      authMethod: sent.prepared.authMethod,
      usedBasic: sent.prepared.usedBasic,
      dpopJkt: sent.prepared.dpopJkt,
      requestedScope: step.do === 'token' || step.do === 'replay' ? sent.prepared.requestedScope : last?.input.request.requestedScope,
      clientId: sent.prepared.clientId,
    }
    input.token = step.do === 'introspect' || step.do === 'revoke' ? (step.token === 'issued' ? issued : undefined) : fromResponse
    if (input.token?.jwt && step.checks.some((p) => p.def.needsJwks)) input.jwks = await env.jwks()
    for (const p of step.checks) checks.push(await timedCheck(env, p, input))
    last = { prepared: sent.prepared, input }
  }
  const outcome = caseOutcome(checks, c.level)
  return finish(outcome, { reason: reasonFor(outcome, checks), checks, exchanges, accessToken: issued?.jwt })
}

/** What every check of a step sees about the target; the request part is filled in by the step. */
function baseInput(env: TargetEnv, step: PlannedStep['do'], response: ReceivedResponse): CheckInput {
  const t = env.resolved.target
  return {
    step,
    response,
    request: { method: 'GET', url: env.discovered?.exchange.request.url ?? '', authMethod: 'none', usedBasic: false, requestedScope: undefined, clientId: '' },
    target: {
      issuer: env.issuer,
      // Checks see the RFC rules the target is judged by; a provider profile names its base.
      profile: env.resolved.profile?.base ?? (t.profile === 'oauth21' ? 'oauth21' : 'rfc6749'),
      clientAuthProfile: t.clientAuthProfile,
      scopes: t.scopes,
      resource: t.resource,
      audience: t.audience,
    },
    metadata: env.metadata,
    discovery: env.discovered?.tried ?? env.discoveryTried,
    nowSec: Math.floor(env.ctx.now() / 1000),
  }
}

const STEP_LABELS: Record<PlannedStep['do'], string> = {
  inspect: 'metadata discovery',
  token: 'token request',
  replay: 'the same token request again',
  introspect: 'introspection',
  revoke: 'revocation',
}

/** A token that no server issued, for introspection and revocation of an invalid token. */
const GARBAGE_TOKEN = 'grantcheck-garbage-token-not-issued-by-anyone'

/** Builds the request of one step, or says why the step (and so the case) cannot run. */
async function prepareStep(
  step: PlannedStep,
  env: TargetEnv,
  issued: CheckInput['token'],
  previous: PreparedRequest | undefined,
  nonce?: string,
): Promise<PreparedRequest | { skip: string } | { error: string }> {
  const { resolved, ctx } = env
  if (step.do === 'replay') return previous ?? { error: 'nothing to replay: no earlier token request' }
  let endpoint = env.tokenEndpoint
  let params: RequestParam[] | undefined
  if (step.do === 'introspect' || step.do === 'revoke') {
    const found = step.do === 'introspect' ? env.introspectionEndpoint : env.revocationEndpoint
    if (!found) return { skip: `the target has no ${step.do === 'introspect' ? 'introspection' : 'revocation'} endpoint` }
    endpoint = found
    const token = step.token === 'garbage' ? GARBAGE_TOKEN : issued?.value
    if (token === undefined) return { skip: 'no access token was issued by the first step, so there is nothing to send' }
    params = [
      { name: 'token', value: token, secretVar: step.token === 'garbage' ? undefined : 'ACCESS_TOKEN' },
      { name: 'token_type_hint', value: 'access_token' },
    ]
  }
  const mutate = step.do === 'token' ? step.request.mutate : undefined
  try {
    const prepared = await buildRequest({
      target: resolved.target,
      endpoint,
      tokenEndpoint: env.tokenEndpoint,
      issuer: env.issuer,
      client: resolved.clients[step.request.client]!,
      mutate,
      params,
      anonymous: step.auth === 'none',
      dpop: mutate?.dpop ? { key: await env.dpopKey(), nonce } : undefined,
      unregisteredKey: env.unregisteredKey,
      nowMs: ctx.now(),
      randomId: ctx.randomId,
    })
    if ('outgoing' in prepared) for (const s of prepared.ephemeralSecrets) resolved.redactor.add(s, 'client credentials')
    return prepared
  } catch (e) {
    return { error: `could not build the request: ${errorMessage(e)}` }
  }
}

/**
 * Sends a step's request, recording the exchange. A server that answers a DPoP request with
 * use_dpop_nonce and a DPoP-Nonce header gets one retry with a proof carrying that nonce, as
 * RFC 9449 §8 asks of clients; both exchanges are kept.
 */
async function sendWithDpopNonce(
  prepared: PreparedRequest,
  step: PlannedStep,
  env: TargetEnv,
  issued: CheckInput['token'],
  label: string,
  exchanges: Exchange[],
): Promise<{ ok: true; response: ReceivedResponse; prepared: PreparedRequest } | { ok: false; error: string }> {
  const { resolved } = env
  env.requests++
  let sent = await env.send(prepared.outgoing)
  exchanges.push(recordExchange(label, prepared, sent, resolved.redactor))
  const nonce = sent.ok ? sent.response.headers.get('dpop-nonce') : null
  if (sent.ok && prepared.dpopJkt && nonce && isError(sent.response, 'use_dpop_nonce')) {
    exchanges[exchanges.length - 1]!.response = responseRecord(sent.response, resolved.redactor)
    const again = await prepareStep(step, env, issued, undefined, nonce)
    if (!('outgoing' in again)) return { ok: false, error: 'skip' in again ? again.skip : again.error }
    prepared = again
    env.requests++
    sent = await env.send(prepared.outgoing)
    exchanges.push(recordExchange(`${label}, with the server's DPoP nonce`, prepared, sent, resolved.redactor))
  }
  return sent.ok ? { ok: true, response: sent.response, prepared } : { ok: false, error: sent.error }
}

function isError(res: ReceivedResponse, code: string): boolean {
  const body = res.json as { error?: unknown } | undefined
  return res.status >= 400 && body?.error === code
}

/** Runs a check, timing it as JWT verification (the checks that need the JWKS) or as checks. */
function timedCheck(env: TargetEnv, p: PlannedCheck, input: CheckInput): Promise<CheckResult> {
  return timed(env.ctx.metrics, p.def.needsJwks ? 'jwt-verification' : 'checks', () => runCheck(p, input))
}

async function runCheck(p: PlannedCheck, input: CheckInput): Promise<CheckResult> {
  const base = { check: p.def.id, level: p.level, requirements: p.requirements }
  try {
    const v = await p.def.run(input, p.args)
    const outcome: Outcome = v.holds === 'n/a' ? 'skipped' : v.holds ? (p.level === 'INFO' ? 'info' : 'passed') : failureOutcome(p.level)
    return { ...base, outcome, expected: v.expected, actual: v.actual, message: v.message }
  } catch (e) {
    return { ...base, outcome: 'errored', expected: '', actual: '', message: `the check crashed: ${errorMessage(e)}` }
  }
}

/** A check that does not hold: MUST → failed, SHOULD → warning, MAY and INFO → info. */
function failureOutcome(level: Level): Outcome {
  return level === 'MUST' ? 'failed' : level === 'SHOULD' ? 'warning' : 'info'
}

const PRECEDENCE: Outcome[] = ['failed', 'errored', 'warning', 'info', 'passed']

/**
 * The worst check outcome decides; a case whose checks all did not apply is skipped. A MUST or
 * SHOULD case whose judged checks all passed is passed even when it also recorded an
 * observation: the observation is its reason, and the case still counts towards the score.
 */
export function caseOutcome(checks: CheckResult[], level: Level): Outcome {
  const worst = PRECEDENCE.find((o) => checks.some((c) => c.outcome === o)) ?? 'skipped'
  if (worst === 'info' && (level === 'MUST' || level === 'SHOULD') && checks.some((c) => c.outcome === 'passed')) return 'passed'
  return worst
}

function reasonFor(outcome: Outcome, checks: CheckResult[]): string | undefined {
  const observation = checks.find((c) => c.outcome === 'info')
  if (outcome === 'info' || (outcome === 'passed' && observation)) return observation?.actual
  return checks.find((c) => c.outcome === outcome)?.message
}

function caseBase(planned: PlannedCase): Omit<CaseResult, 'outcome' | 'durationMs'> {
  const { case: c, suite } = planned
  return {
    id: c.id,
    suite: suite.id,
    title: c.title,
    level: c.level,
    requirements: c.requirements.map(resolveRequirement),
    mutate: c.request.mutate as Record<string, unknown> | undefined,
    client: c.request.client,
    checks: [],
    exchanges: [],
  }
}

function erroredCase(planned: PlannedCase, reason: string): CaseResult {
  return { ...caseBase(planned), outcome: 'errored', reason, durationMs: 0 }
}

function extractToken(res: ReceivedResponse, redactor: Redactor): CheckInput['token'] {
  const body = res.json
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined
  const b = body as Record<string, unknown>
  for (const field of ['access_token', 'refresh_token', 'id_token']) {
    const v = b[field]
    if (typeof v === 'string') redactor.add(v, field.replace('_', ' '))
  }
  if (res.status < 200 || res.status > 299 || typeof b.access_token !== 'string') return undefined
  const jwt: DecodedJwt | undefined = tryDecodeJwt(b.access_token)
  return { value: b.access_token, jwt, scope: typeof b.scope === 'string' ? b.scope : undefined }
}

function headerObject(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of headers) out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`
  return out
}

function recordExchange(label: string, prepared: PreparedRequest, sent: Awaited<ReturnType<typeof send>>, redactor: Redactor): Exchange {
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

function discoveryExchange(url: string, res: ReceivedResponse, redactor: Redactor): Exchange {
  return {
    label: 'metadata discovery',
    request: { method: 'GET', url, headers: { Accept: 'application/json' } },
    response: responseRecord(res, redactor),
    durationMs: 0,
    curl: `curl -sS -i '${url.replace(/'/g, `'\\''`)}'`,
  }
}

function responseRecord(res: ReceivedResponse, redactor: Redactor): Exchange['response'] {
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

async function fetchJwks(env: TargetEnv, jwksUri: string | undefined): Promise<JsonWebKeySetLike | { error: string } | undefined> {
  if (!jwksUri) return undefined
  env.requests++
  const sent = await env.send({ method: 'GET', url: jwksUri, headers: [['Accept', 'application/json']] })
  if (!sent.ok) return { error: `${jwksUri}: ${sent.error}` }
  const json = sent.response.json as { keys?: unknown } | undefined
  if (sent.response.status !== 200) return { error: `${jwksUri}: HTTP ${sent.response.status}` }
  if (!json || !Array.isArray(json.keys)) return { error: `${jwksUri}: not a JWK Set (no "keys" array)${sent.response.jsonError ? `: ${sent.response.jsonError}` : ''}` }
  const max = env.resolved.target.limits.maxJwksKeys
  if (json.keys.length > max) return { error: `${jwksUri}: ${json.keys.length} keys, more than the ${max} a key set may have here (limits.maxJwksKeys)` }
  return { keys: json.keys.filter((k): k is Record<string, unknown> => !!k && typeof k === 'object') }
}

/**
 * Labels a failure or warning "known for this provider" when the profile documents every check
 * that failed in it: a second, undocumented failure in the same case is never hidden.
 */
function markKnown(c: CaseResult, profile: ResolvedTarget['profile']): CaseResult {
  if (!profile || (c.outcome !== 'failed' && c.outcome !== 'warning')) return c
  const key = `${c.suite}/${c.id}`
  const failing = c.checks.filter((k) => k.outcome === 'failed' || k.outcome === 'warning')
  const explain = (check: string) => profile.deviations.find((d) => (d.case === key || d.case === '*') && (d.check === undefined || d.check === check) && (d.case === key || d.check !== undefined))
  const found = failing.map((k) => explain(k.check))
  if (!found.length || found.some((d) => d === undefined)) return c
  const ds = [...new Set(found)] as NonNullable<(typeof found)[number]>[]
  return { ...c, known: { provider: profile.title, behaviour: ds.map((d) => d.behaviour).join('; '), source: ds.map((d) => d.source).join('; ') } }
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

/** Maps with at most `limit` calls in flight, keeping the input order in the output. */
export async function mapPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * {@link mapPool}, starting the heaviest items first and returning results in the items' order.
 * A case of several sequential requests started last would run on alone while the other workers
 * idle; started first, it overlaps with the short ones (longest-processing-time-first scheduling).
 */
export async function mapPoolLongestFirst<T, R>(items: T[], limit: number, weight: (item: T) => number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const order = items.map((_, i) => i).sort((a, b) => weight(items[b]!) - weight(items[a]!) || a - b)
  const ran = await mapPool(order, limit, (i) => fn(items[i]!))
  const out = new Array<R>(items.length)
  order.forEach((i, k) => (out[i] = ran[k]!))
  return out
}

/** How many requests a case sends, at least: one per step but the inspections. */
function requestsOf(planned: PlannedCase): number {
  return planned.steps.filter((s) => s.do !== 'inspect').length
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

