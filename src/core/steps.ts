/**
 * The step interpreter: runs one case against a session, step by step. Each request is built
 * from its description, sent, recorded as evidence, and judged by the step's expectations.
 *
 * @module
 */
import { evaluateAssertion, evaluateSameAs } from '../checks/assert.ts'
import type { CheckInput } from '../checks/types.ts'
import { factsOf, unmetCondition } from '../checks/when.ts'
import { tryDecodeJwt } from '../checks/_util.ts'
import { resolveRequirement } from '../schema/requirements.ts'
import type { CaseResult, CheckResult, Exchange, Outcome } from '../schema/report.ts'
import type { Answer } from '../schema/suite.ts'
import { missingNeeds } from './capabilities.ts'
import { recordExchange, responseRecord } from './evidence.ts'
import type { ReceivedResponse } from './http.ts'
import type { PlannedCase, PlannedCheck, PlannedStep } from './plan.ts'
import { resolveRef, resolveValue, type RefScope } from './refs.ts'
import { buildRequest, type PreparedRequest } from './request/build.ts'
import { sessionScope, timed, type Session } from './session.ts'
import { caseOutcome, checkOutcome, reasonFor } from './verdict.ts'

type Token = CheckInput['token']

/** What inspect steps see as a response when no metadata was discovered. */
const NO_RESPONSE: ReceivedResponse = { status: 0, headers: new Headers(), text: '', bytes: 0, truncated: false, json: undefined, encoding: 'utf-8', stringMembers: [] }

/** Runs one case. Never throws: what cannot be judged is skipped or errored with the reason. */
export async function runCase(planned: PlannedCase, s: Session): Promise<CaseResult> {
  const { case: c } = planned
  const { resolved, ctx } = s
  const started = ctx.now()
  /** What each request got, in step order (findings are drawn from these). */
  const answers: Answer[] = []
  const finish = (outcome: Outcome, fields: Partial<CaseResult>): CaseResult => ({
    ...caseBase(planned),
    outcome,
    ...fields,
    ...(answers.length ? { answers } : {}),
    durationMs: ctx.now() - started,
  })

  const missing = missingNeeds(planned.needs, s)
  if (missing) return finish('skipped', { reason: missing })
  const profile = profileOf(s)
  const unmet = unmetCondition(c.when, { profile, clientAuthProfile: resolved.target.clientAuthProfile, metadata: s.metadata })
  if (unmet) return finish('skipped', { reason: unmet })
  const first = planned.steps.find((st) => st.request)?.request
  const caseRandom = ctx.randomId()
  const scope: RefScope = { ...sessionScope(s, undefined, caseRandom), client: first ? resolved.clients[first.client] : undefined }
  const lacking = [...new Set(planned.refs.map((r) => resolveRef(r, scope)).flatMap((r) => ('missing' in r ? [r.missing] : [])))]
  if (lacking.length) return finish('skipped', { reason: lacking.join('; ') })

  const checks: CheckResult[] = []
  const exchanges: Exchange[] = []
  let issued: { token: Token; requestedScope?: string } | undefined
  let last: PreparedRequest | undefined
  /** What each step's checks saw, for comparisons with an earlier step (`sameAs`). */
  const seen: CheckInput[] = []
  for (const [i, step] of planned.steps.entries()) {
    if (step.do === 'inspect') {
      // Nothing is sent: the checks judge what discovery found (its exchange is the evidence) and
      // what the target names; without metadata, those that need it do not apply.
      if (s.discovered) exchanges.push(s.discovered.exchange)
      const input = baseInput(s, 'inspect', s.discovered?.response ?? NO_RESPONSE, profile)
      if (step.checks.some((p) => p.def?.needsJwks)) input.jwks = await s.jwks()
      seen.push(input)
      for (const p of step.checks) checks.push(await judge(s, p, input, seen))
      continue
    }
    let prepared: PreparedRequest | { skip: string } | { error: string }
    if (step.do === 'replay') prepared = last ?? { error: 'nothing to replay: no earlier request' }
    else prepared = await prepare(step, s, issued?.token?.value, caseRandom)
    if ('skip' in prepared) {
      // A step that cannot run (no token to introspect) does not hide what earlier steps found:
      // a failed or warned check keeps its outcome, with the reason the case stopped.
      const soFar = caseOutcome(checks, c.level)
      if (soFar === 'failed' || soFar === 'warning' || soFar === 'errored') return finish(soFar, { reason: `${reasonFor(soFar, checks)}; ${prepared.skip}`, checks, exchanges })
      return finish('skipped', { reason: prepared.skip, checks, exchanges })
    }
    if ('error' in prepared) return finish('errored', { reason: prepared.error, checks, exchanges })
    const label = planned.steps.length > 1 ? `step ${i + 1}: ${step.label}` : step.label
    const sent = await sendWithDpopNonce(prepared, step, s, issued?.token?.value, caseRandom, label, exchanges)
    const endpoint = step.do === 'replay' ? 'token' : step.request!.endpoint
    answers.push(sent.ok ? answerOf(endpoint, sent.response) : 'no answer')
    if (!sent.ok) return finish('errored', { reason: sent.error, checks, exchanges })

    const fromResponse = endpoint === 'token' ? extractToken(sent.response) : undefined
    if (i === 0 && endpoint === 'token') issued = { token: fromResponse, requestedScope: sent.prepared.requestedScope }
    // The exchange is recorded after the token is known to the redactor, so its body is clean.
    exchanges[exchanges.length - 1]!.response = responseRecord(sent.response, resolved.redactor)
    const input = baseInput(s, step.do === 'replay' ? 'replay' : endpoint === 'token' ? 'token' : endpoint === 'introspection' ? 'introspect' : 'revoke', sent.response, profile)
    input.request = {
      method: sent.prepared.outgoing.method,
      url: sent.prepared.outgoing.url,
      authMethod: sent.prepared.authMethod,
      usedBasic: sent.prepared.usedBasic,
      dpopJkt: sent.prepared.dpopJkt,
      certificateThumbprint: sent.prepared.certificateThumbprint,
      requestedScope: endpoint === 'token' ? sent.prepared.requestedScope : issued?.requestedScope,
      clientId: sent.prepared.clientId,
    }
    input.token = endpoint === 'token' ? fromResponse : sent.prepared.sentIssuedToken ? issued?.token : undefined
    if (input.token?.jwt && step.checks.some((p) => p.def?.needsJwks)) input.jwks = await s.jwks()
    const stepScope = sessionScope(s, issued?.token?.value, caseRandom)
    seen.push(input)
    for (const p of step.checks) checks.push(await judge(s, p, input, seen, stepScope))
    last = sent.prepared
    if (step.control && answers.at(-1) !== 'accepted') {
      // A refused control makes every later answer meaningless: the case measured nothing. What
      // earlier steps found (a failure, a warning) keeps its outcome, with why the case stopped.
      const why = `not measured: the control (step ${i + 1}, ${step.label}), which shows ${step.control}, was refused (${answerSummary(sent.response)})`
      const soFar = caseOutcome(checks, c.level)
      if (soFar === 'failed' || soFar === 'warning' || soFar === 'errored') return finish(soFar, { reason: `${reasonFor(soFar, checks)}; ${why}`, checks, exchanges })
      return finish('skipped', { reason: why, checks, exchanges })
    }
  }
  const outcome = caseOutcome(checks, c.level)
  return finish(outcome, { reason: reasonFor(outcome, checks), checks, exchanges, accessToken: issued?.token?.jwt })
}

/**
 * Whether a request got what it asked for: a token from the token endpoint, an introspection
 * answer (a JSON object with a boolean `active`), a revocation's 200. Anything else is a refusal.
 */
function answerOf(endpoint: string, res: ReceivedResponse): Answer {
  const body = res.json as Record<string, unknown> | undefined
  const object = body !== null && typeof body === 'object' && !Array.isArray(body)
  if (endpoint === 'token') return object && typeof body.access_token === 'string' ? 'accepted' : 'refused'
  if (endpoint === 'introspection') return res.status === 200 && object && typeof body.active === 'boolean' ? 'accepted' : 'refused'
  return res.status === 200 ? 'accepted' : 'refused'
}

/** A response in a few words, for a reason: its status and, when it has one, its error code. */
function answerSummary(res: ReceivedResponse): string {
  const body = res.json as { error?: unknown } | undefined
  const error = typeof body?.error === 'string' ? ` ${body.error.slice(0, 60)}` : res.text ? '' : ', empty body'
  return `HTTP ${res.status}${error}`
}

/** The RFC rules the target is judged by: a provider profile names its base. */
function profileOf(s: Session): string {
  const t = s.resolved.target
  return s.resolved.profile?.base ?? (t.profile === 'oauth21' ? 'oauth21' : 'rfc6749')
}

/** What every check of a step sees about the target; the request part is filled in by the step. */
function baseInput(s: Session, step: CheckInput['step'], response: ReceivedResponse, profile: string): CheckInput {
  const t = s.resolved.target
  return {
    step,
    response,
    request: { method: 'GET', url: s.discovered?.exchange.request.url ?? '', authMethod: 'none', usedBasic: false, requestedScope: undefined, clientId: '' },
    target: {
      issuer: s.issuer,
      profile,
      clientAuthProfile: t.clientAuthProfile,
      scopes: t.scopes,
      resource: t.resource,
      audience: t.audience,
      allowedOrigins: s.allowedOrigins,
      tokenEndpoint: t.tokenEndpoint,
    },
    metadata: s.metadata,
    discovery: s.discovered?.tried ?? s.discoveryTried,
    nowSec: Math.floor(s.ctx.now() / 1000),
  }
}

/** Builds the request of one step, or says why the step (and so the case) cannot run. */
async function prepare(step: PlannedStep, s: Session, issued: string | undefined, caseRandom: string, nonce?: string): Promise<PreparedRequest | { skip: string } | { error: string }> {
  const spec = step.request!
  try {
    const prepared = await buildRequest(spec, {
      scope: sessionScope(s, issued, caseRandom),
      client: s.resolved.clients[spec.client]!,
      dpop: spec.dpop ? { key: await s.dpopKey(), nonce } : undefined,
      assertionDefaults:
        s.assertionAudience &&
        (async () => {
          const choice = await s.assertionAudience!()
          return { aud: choice.value, typ: choice.typ }
        }),
      unregisteredKey: s.unregisteredKey,
      randomId: s.ctx.randomId,
      presentable: s.ctx.fetch.clientCertificates,
    })
    if ('outgoing' in prepared) for (const secret of prepared.ephemeralSecrets) s.resolved.redactor.add(secret, 'client credentials')
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
  s: Session,
  issued: string | undefined,
  caseRandom: string,
  label: string,
  exchanges: Exchange[],
): Promise<{ ok: true; response: ReceivedResponse; prepared: PreparedRequest } | { ok: false; error: string }> {
  const { redactor } = s.resolved
  s.requests++
  let sent = await s.send(prepared.outgoing)
  exchanges.push(recordExchange(label, prepared, sent, redactor))
  const nonce = sent.ok ? sent.response.headers.get('dpop-nonce') : null
  if (sent.ok && prepared.dpopJkt && nonce && step.request && isError(sent.response, 'use_dpop_nonce')) {
    exchanges[exchanges.length - 1]!.response = responseRecord(sent.response, redactor)
    const again = await prepare(step, s, issued, caseRandom, nonce)
    if (!('outgoing' in again)) return { ok: false, error: 'skip' in again ? again.skip : again.error }
    prepared = again
    s.requests++
    sent = await s.send(prepared.outgoing)
    exchanges.push(recordExchange(`${label}, with the server's DPoP nonce`, prepared, sent, redactor))
  }
  return sent.ok ? { ok: true, response: sent.response, prepared } : { ok: false, error: sent.error }
}

function isError(res: ReceivedResponse, code: string): boolean {
  const body = res.json as { error?: unknown } | undefined
  return res.status >= 400 && body?.error === code
}

/** Judges one expectation: its condition, then the named check or the assertion. */
async function judge(s: Session, p: PlannedCheck, input: CheckInput, seen: readonly CheckInput[], scope?: RefScope): Promise<CheckResult> {
  const base = { check: p.id, level: p.level, requirements: p.requirements }
  const unmet = unmetCondition(p.when, factsOf(input))
  if (unmet) return { ...base, outcome: 'skipped', expected: '', actual: '', message: unmet }
  return timed(s.ctx.metrics, p.def?.needsJwks ? 'jwt-verification' : 'checks', async () => {
    try {
      let verdict
      const a = p.assertion
      if (p.def) verdict = await p.def.run(input, p.args)
      else if (a!.operator === 'sameAs') verdict = evaluateSameAs(a!, a!.operand as number, seen[(a!.operand as number) - 1]!, input)
      else {
        const operand = resolveValue(a!.operand, scope ?? sessionScope(s, undefined))
        if ('missing' in operand) return { ...base, outcome: 'skipped' as const, expected: '', actual: '', message: operand.missing }
        verdict = evaluateAssertion({ ...a!, operand: operand.value }, input)
      }
      // A verdict's texts are strings by contract (src/checks/properties.test.ts holds every check
      // to it); should one slip, the case still ends in its verdict rather than in a crash.
      const text = (v: unknown) => (typeof v === 'string' ? v : String(v ?? ''))
      return { ...base, outcome: checkOutcome(verdict.holds, p.level), expected: text(verdict.expected), actual: text(verdict.actual), message: text(verdict.message) }
    } catch (e) {
      return { ...base, outcome: 'errored' as const, expected: '', actual: '', message: `the check crashed: ${errorMessage(e)}` }
    }
  })
}

export function caseBase(planned: PlannedCase): Omit<CaseResult, 'outcome' | 'durationMs'> {
  const { case: c, suite } = planned
  return {
    id: c.id,
    suite: suite.id,
    title: c.title,
    level: c.level,
    requirements: c.requirements.map(resolveRequirement),
    request: planned.written,
    client: planned.steps.find((st) => st.request)?.request?.client,
    checks: [],
    exchanges: [],
  }
}

/** The token a response issued; the session registered it with the redactor when it arrived. */
function extractToken(res: ReceivedResponse): Token {
  const body = res.json
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined
  const b = body as Record<string, unknown>
  if (res.status < 200 || res.status > 299 || typeof b.access_token !== 'string') return undefined
  return { value: b.access_token, jwt: tryDecodeJwt(b.access_token), scope: typeof b.scope === 'string' ? b.scope : undefined }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
