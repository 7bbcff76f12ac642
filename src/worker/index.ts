/**
 * The grantcheck Worker: a monitoring service for configured authorization servers. The cron
 * queues runs that are due; queue consumers run them in parts within the platform's limits, one
 * target's runs through its gate; finished runs update per-case states and raise alerts; a
 * dashboard, an API, a badge and metrics read the history from D1 and the reports from R2.
 *
 * Nothing here fetches a URL taken from a request: runs name a configured target, and the webhook
 * and Access addresses come from configuration.
 */
import { Hono, type Context } from 'hono'
import * as z from 'zod'
import { builtinSuites } from '../core/builtin.ts'
import { renderHtml } from '../reporters/html/index.ts'
import { SCRIPT, STYLES } from '../reporters/html/styles.ts'
import { resolveRequirement } from '../schema/requirements.ts'
import { renderJunit } from '../reporters/junit.ts'
import { renderMarkdown } from '../reporters/markdown.ts'
import { admin } from './admin.ts'
import { accessConfigured, CLEAR_SESSION, createSession, csrfAllows, csrfToken, identify, roleOfToken, sessionCookie, type Identity } from './auth.ts'
import { Budget } from './budget.ts'
import { configuration, settings } from './config.ts'
import type { Env, ExecutionContext, MessageBatch, WorkMessage } from './env.ts'
import { TargetGate } from './gate.ts'
import { badge, openMetrics } from './metrics.ts'
import { alertsPage, DASHBOARD_STYLES, loginPage, overviewPage, targetHref, targetPage, type PageContext, type TargetView } from './pages.tsx'
import { scheduled } from './schedule.ts'
import { latestOf, Store } from './store.ts'
import { MERGE_WITHIN_MS, overdueSince, runLimit } from './watch.ts'
import { consume, planRun, RunRefusedError } from './work.ts'

export { TargetGate }

const MAX_BODY_BYTES = 4096

/** A run request: a configured target's name and, optionally, which built-in suites. Nothing else. */
const RunRequestSchema = z.strictObject({
  target: z.string().min(1).max(120),
  suites: z
    .array(z.string().regex(/^[a-z0-9-]+$/))
    .min(1)
    .max(20)
    .optional(),
})

type Vars = { identity: Identity; store: Store }
const app = new Hono<{ Bindings: Env; Variables: Vars }>()

let cspValue: Promise<string> | undefined
/** The pages' policy: nothing loads from elsewhere; the one stylesheet and one script are named by hash. */
function csp(): Promise<string> {
  const sha = async (s: string) => `'sha256-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))))}'`
  cspValue ??= Promise.all([sha(STYLES), sha(DASHBOARD_STYLES), sha(SCRIPT)]).then(
    ([report, dashboard, script]) => `default-src 'none'; style-src ${report} ${dashboard}; script-src ${script}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  )
  return cspValue
}

app.use('*', async (c, next) => {
  await next()
  const h = c.res.headers
  h.set('Content-Security-Policy', await csp())
  h.set('X-Content-Type-Options', 'nosniff')
  h.set('X-Frame-Options', 'DENY')
  // Not no-referrer: under it a browser sends `Origin: null` with the pages' own form posts, and
  // sign-in and the CSRF check (which compare the Origin) refuse them. same-origin still sends
  // nothing to other sites.
  h.set('Referrer-Policy', 'same-origin')
  if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store')
})

app.use('*', async (c, next) => {
  const store = new Store(c.env, new Budget(settings(c.env).maxSubrequests))
  c.set('store', store)
  await next()
  // What the request cost in D1, from D1's own meta: an operator sees it in the browser's timing
  // panel, and test/worker-history.e2e.test.ts proves with it that reads do not grow with history.
  if (store.reads.statements) c.res.headers.set('Server-Timing', `d1;desc="${store.reads.statements} statements, ${store.reads.rows} rows read"`)
})

/**
 * Liveness, whether the configuration is whole and whether every target is watched: 503
 * "degraded" counts the broken entries and the overdue targets (no finished run within twice their
 * schedule), never names or shows what they hold.
 */
app.get('/healthz', async (c) => {
  const store = c.get('store')
  const { monitors, problems } = await configuration(c.env, store.budget)
  const [states, latest] = await Promise.all([store.targetStates(), store.latest()])
  const now = Date.now()
  const overdue = monitors.filter((m) => overdueSince(m, states.get(m.target.name), latest.get(m.target.name), now)).length
  const degraded = problems.length > 0 || overdue > 0
  const body = { status: degraded ? 'degraded' : 'ok', targets: monitors.length, problems: problems.length, overdue }
  return c.json(body, degraded ? 503 : 200)
})

app.get('/login', (c) => (accessConfigured(c.env) ? c.redirect('/', 303) : c.html(loginPage())))

app.post('/login', async (c) => {
  if (accessConfigured(c.env)) return c.redirect('/', 303)
  const origin = c.req.header('origin')
  if (origin && origin !== new URL(c.req.url).origin) return c.text('cross-site sign-in refused', 403)
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
  const token = typeof form.token === 'string' ? form.token : ''
  const role = token ? await roleOfToken(token, c.env) : undefined
  if (!role) return c.html(loginPage('That token is not valid.'), 401)
  const cookie = await createSession(c.env, role, role === 'run' ? 'signed in with the run token' : 'signed in read-only', Date.now())
  return c.body(null, 303, { Location: '/', 'Set-Cookie': sessionCookie(cookie) })
})

app.get('/badge/:file', async (c, next) => {
  // Public only where the operator says so; otherwise the badge is behind authentication.
  if (!settings(c.env).publicBadges) return next()
  return badgeResponse(c)
})

app.use('*', async (c, next) => {
  if (!c.env.API_TOKEN && !accessConfigured(c.env)) return c.json({ error: 'neither the API_TOKEN secret nor Cloudflare Access (ACCESS_TEAM_DOMAIN, ACCESS_AUD) is configured' }, 503)
  const identity = await identify(c.req.raw, c.env, Date.now(), c.get('store').budget.fetch)
  if (!identity) {
    const wantsPage = c.req.method === 'GET' && !c.req.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html')
    if (wantsPage && !accessConfigured(c.env)) return c.redirect('/login', 303)
    return c.json({ error: 'unauthorized: send Authorization: Bearer <token>, or sign in' }, 401, { 'WWW-Authenticate': 'Bearer realm="grantcheck"' })
  }
  c.set('identity', identity)
  // A browser identity (cookie, Access) changes nothing without this origin and its CSRF token.
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    const form = (c.req.header('content-type') ?? '').includes('application/x-www-form-urlencoded') ? await c.req.parseBody().catch(() => ({}) as Record<string, unknown>) : {}
    const token = c.req.header('x-csrf-token') ?? (typeof form.csrf === 'string' ? form.csrf : undefined)
    if (!(await csrfAllows(c.req.raw, identity, c.env, token))) return c.json({ error: 'refused: a request from a browser needs this origin and its CSRF token' }, 403)
  }
  return next()
})

async function pageContext(c: Context<{ Bindings: Env; Variables: Vars }>): Promise<PageContext> {
  const identity = c.get('identity')
  return { identity, csrf: await csrfToken(identity, c.env), canLogout: identity.via === 'session' }
}

/**
 * The monitored targets (or only the one named) with their state, case states and last finished
 * run, read from per-target rows and never from the history (issue 25): every query reads rows in
 * proportion to the targets, whatever the number of runs. A target without a latest row (no run
 * finished yet, or runs from before migration 0003) gets its newest runs through the per-target
 * index instead; `runsPerTarget` loads that many runs of each target viewed (the target's page).
 */
async function views(c: Context<{ Bindings: Env; Variables: Vars }>, only?: string, runsPerTarget = 0): Promise<TargetView[]> {
  const store = c.get('store')
  const { monitors: all } = await configuration(c.env, store.budget)
  const monitors = only === undefined ? all : all.filter((m) => m.target.name === only)
  if (!monitors.length) return []
  const names = monitors.map((m) => m.target.name)
  const [states, cases, latest] = await Promise.all([
    store.targetStates(),
    only === undefined ? store.allCaseStates() : store.caseStates(only).then((m) => new Map([[only, m]])),
    store.latest(only === undefined ? undefined : names),
  ])
  const runs = await store.recentRunsOf(runsPerTarget ? names : names.filter((n) => !latest.has(n)), Math.max(runsPerTarget, 30))
  const now = Date.now()
  return monitors.map((m) => {
    const name = m.target.name
    const recent = runs.get(name) ?? []
    const last = latest.get(name) ?? latestOf(recent)
    return { monitor: m, state: states.get(name), cases: cases.get(name) ?? new Map(), latest: last, runs: recent, overdue: overdueSince(m, states.get(name), last, now) }
  })
}

app.post('/logout', (c) => c.body(null, 303, { Location: '/login', 'Set-Cookie': CLEAR_SESSION }))

app.get('/', async (c) => c.html(overviewPage(await pageContext(c), await views(c), (await configuration(c.env)).problems)))

app.get('/targets/:name', async (c) => {
  const name = c.req.param('name')
  const [view] = await views(c, name, 30)
  if (!view) return c.json({ error: `"${name}" is not a configured target` }, 404)
  const store = c.get('store')
  const [snapshots, alerts] = await Promise.all([store.snapshots(name, 10), store.recentAlerts(name, 10)])
  const titles = new Map(
    builtinSuites().flatMap((s) => s.cases.map((pc) => [`${s.suite.id}/${pc.case.id}`, { title: pc.case.title, level: pc.case.level, requirement: requirementOf(pc.case.requirements[0]) }] as const)),
  )
  return c.html(targetPage(await pageContext(c), { view, titles, snapshots, alerts, now: Date.now() }))
})

function requirementOf(id: string | undefined): { label: string; url: string } {
  return id ? resolveRequirement(id) : { label: '', url: '#' }
}

app.post('/targets/:name/run', async (c) => {
  const identity = c.get('identity')
  if (identity.role !== 'run') return c.json({ error: 'your role is read-only' }, 403)
  const queued = await requestRun(c, c.req.param('name'), undefined, 'dashboard')
  if ('error' in queued) return c.json({ error: queued.error }, queued.status, queued.headers)
  return c.redirect(`${targetHref(c.req.param('name'))}?queued=${queued.id}`, 303)
})

app.get('/alerts', async (c) => c.html(alertsPage(await pageContext(c), await c.get('store').recentAlerts(undefined, 50))))

app.get('/runs/:id', async (c) => {
  const store = c.get('store')
  const report = await store.report(c.req.param('id'))
  if (report) return c.html(renderHtml(report))
  const run = await store.run(c.req.param('id'))
  return run ? c.json({ id: run.id, status: run.status, parts: run.parts, partsDone: run.partsDone }, 202) : c.json({ error: 'no such run' }, 404)
})

app.get('/badge/:file', (c) => badgeResponse(c))

async function badgeResponse(c: Context<{ Bindings: Env; Variables: Vars }>) {
  const name = c.req.param('file')?.replace(/\.svg$/, '') ?? ''
  const [view] = await views(c, name)
  return c.body(badge(view), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'max-age=60' })
}

app.get('/metrics', async (c) =>
  c.body(openMetrics(await views(c), (await configuration(c.env)).problems.length), 200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' }),
)

// API ------------------------------------------------------------------------------------------

// Targets as data: the admin API (run role only), behind the authentication and CSRF check above.
app.route('/api/admin', admin)

app.get('/api/targets', async (c) => {
  const { problems } = await configuration(c.env)
  return c.json({
    targets: (await views(c)).map((v) => ({
      name: v.monitor.target.name,
      issuer: v.monitor.target.issuer,
      tokenEndpoint: v.monitor.target.tokenEndpoint,
      clients: Object.keys(v.monitor.target.clients),
      monitor: { everyMinutes: v.monitor.everyMinutes, suites: v.monitor.suites ?? null, concurrency: v.monitor.concurrency, confirm: v.monitor.confirm },
      state: v.state ?? null,
      overdue: v.overdue !== undefined,
      overdueSince: v.overdue ?? null,
      failing: [...v.cases].filter(([, s]) => s.state === 'failing').map(([key, s]) => ({ case: key, since: s.since })),
    })),
    problems,
  })
})

app.get('/api/runs', async (c) => {
  const limit = Math.min(100, Math.max(1, Number(c.req.query('limit')) || 20))
  const runs = await c.get('store').runs({ target: c.req.query('target'), before: c.req.query('before'), limit })
  return c.json({
    runs,
    next: runs.length === limit ? `/api/runs?${new URLSearchParams({ ...(c.req.query('target') ? { target: c.req.query('target')! } : {}), before: runs.at(-1)!.id, limit: String(limit) })}` : null,
  })
})

app.post('/api/runs', async (c) => {
  if (c.get('identity').role !== 'run') return c.json({ error: 'your role is read-only' }, 403)
  const length = Number(c.req.header('content-length') ?? '0')
  const text = length > MAX_BODY_BYTES ? '' : await c.req.text()
  if (length > MAX_BODY_BYTES || text.length > MAX_BODY_BYTES) return c.json({ error: `the body is limited to ${MAX_BODY_BYTES} bytes` }, 413)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return c.json({ error: 'the body must be JSON: { "target": "<configured target name>", "suites"?: [...] }' }, 400)
  }
  const parsed = RunRequestSchema.safeParse(body)
  if (!parsed.success) return c.json({ error: 'invalid run request: only { "target", "suites" } are accepted', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 400)
  const queued = await requestRun(c, parsed.data.target, parsed.data.suites, 'api')
  if ('error' in queued) return c.json({ error: queued.error }, queued.status, queued.headers)
  // A request a pending run covers is answered with that run (200, merged), not a new one (202).
  return c.json({ id: queued.id, status: queued.runStatus, parts: queued.parts, merged: queued.merged, statusUrl: `/api/runs/${queued.id}`, report: `/runs/${queued.id}` }, queued.merged ? 200 : 202, {
    Location: `/api/runs/${queued.id}`,
  })
})

/**
 * A manual run (issue 25: ten requests were ten full runs, 1,310 requests at one tenant in 8.2 s):
 * merged into a pending run of the target that covers the requested suites, else started unless
 * the caller has started `RUN_LIMIT` runs of the target in `RUN_LIMIT_MINUTES` (429, Retry-After).
 * The caller is the API token, the signed-in sessions of a token, or the Access e-mail address.
 */
async function requestRun(c: Context<{ Bindings: Env; Variables: Vars }>, name: string, suites: string[] | undefined, trigger: 'api' | 'dashboard') {
  const store = c.get('store')
  const monitor = (await configuration(c.env, store.budget)).monitors.find((m) => m.target.name === name)
  if (!monitor) return { error: `"${name}" is not a configured target; runs name configured targets, never URLs`, status: 404 as const }
  const identity = c.get('identity')
  const limit = runLimit(c.env)
  const now = Date.now()
  const windowMs = limit.windowMinutes * 60_000
  try {
    const planned = planRun(c.env, monitor, trigger, now, { suites })
    const outcome = await store.requestRun(
      planned,
      `${identity.via}:${identity.who}`,
      { runs: limit.runs, since: new Date(now - windowMs).toISOString() },
      new Date(now - MERGE_WITHIN_MS).toISOString(),
    )
    if ('started' in outcome) return { id: planned.row.id, parts: planned.row.parts, runStatus: 'queued', merged: false }
    if ('merged' in outcome) return { id: outcome.merged.id, parts: outcome.merged.parts, runStatus: outcome.merged.status, merged: true }
    const retryAfter = Math.max(1, Math.ceil((Date.parse(outcome.limited.oldest) + windowMs - now) / 1000))
    return {
      error: `too many runs: ${limit.runs} of "${name}" in ${limit.windowMinutes} minutes by this caller (RUN_LIMIT, RUN_LIMIT_MINUTES); try again in ${retryAfter} s`,
      status: 429 as const,
      headers: { 'Retry-After': String(retryAfter) },
    }
  } catch (e) {
    if (e instanceof RunRefusedError) return { error: e.message, status: 422 as const }
    throw e
  }
}

app.get('/api/runs/:id', async (c) => {
  const run = await c.get('store').run(c.req.param('id'))
  return run ? c.json(run) : c.json({ error: 'no such run' }, 404)
})

app.get('/api/runs/:id/report', async (c) => {
  const store = c.get('store')
  const report = await store.report(c.req.param('id'))
  if (!report) return (await store.run(c.req.param('id'))) ? c.json({ error: 'the run has not finished yet' }, 409) : c.json({ error: 'no such run' }, 404)
  const format = c.req.query('format') ?? 'json'
  if (format === 'junit') return c.body(renderJunit(report), 200, { 'Content-Type': 'application/xml; charset=utf-8' })
  if (format === 'md') return c.body(renderMarkdown(report), 200, { 'Content-Type': 'text/markdown; charset=utf-8' })
  if (format === 'html') return c.html(renderHtml(report))
  if (format !== 'json') return c.json({ error: 'format must be json, junit, md or html' }, 400)
  return c.json(report)
})

app.get('/api/targets/:name/cases/:suite/:case', async (c) => {
  const { name, suite } = c.req.param()
  const key = `${suite}/${c.req.param('case')}`
  const store = c.get('store')
  const [states, history] = await Promise.all([store.caseStates(name), store.caseHistory(name, key, Math.min(200, Number(c.req.query('limit')) || 50))])
  return c.json({ target: name, case: key, state: states.get(key) ?? null, history })
})

app.get('/api/alerts', async (c) => c.json({ alerts: (await c.get('store').recentAlerts(c.req.query('target'), 50)).map((a) => ({ ...a, body: JSON.parse(a.body) })) }))

app.onError((e, c) => {
  // Configuration problems name the binding and field; no secret is ever in these messages.
  console.error(JSON.stringify({ event: 'grantcheck.error', path: c.req.path, message: e.message }))
  return c.json({ error: 'internal error' }, 500)
})

export default {
  fetch: app.fetch,
  async scheduled(event: { scheduledTime?: number }, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(scheduled(env, event.scheduledTime ?? Date.now()))
  },
  async queue(batch: MessageBatch<WorkMessage>, env: Env): Promise<void> {
    await consume(batch, env)
  },
}
