/**
 * The grantcheck Worker: runs configured targets on request and on a schedule, keeps the reports
 * in KV, shows a dashboard. Same engine, suites and reporters as the CLI; no Node APIs.
 *
 * Nothing here fetches a URL taken from a request: runs name a configured target, and the drift
 * webhook comes from configuration.
 */
import { Hono } from 'hono'
import * as z from 'zod'
import { InputInvalidError } from '../core/errors.ts'
import { renderHtml } from '../reporters/html/index.ts'
import { renderJunit } from '../reporters/junit.ts'
import { renderMarkdown } from '../reporters/markdown.ts'
import { bearerMatches } from './auth.ts'
import type { Env } from './env.ts'
import { renderDashboard } from './pages.tsx'
import { configuredTargets, runAllTargets, runTarget, RunRefusedError } from './runner.ts'
import { loadIndex, loadRun } from './store.ts'

const MAX_BODY_BYTES = 4096

/** A run request: a configured target's name and, optionally, which built-in suites. Nothing else. */
const RunRequestSchema = z.strictObject({
  target: z.string().min(1).max(120),
  suites: z.array(z.string().regex(/^[a-z0-9-]+$/)).max(20).optional(),
})

const app = new Hono<{ Bindings: Env }>()

app.get('/healthz', (c) => c.json({ ok: true }))

app.use('*', async (c, next) => {
  if (!c.env.API_TOKEN) return c.json({ error: 'the API_TOKEN secret is not configured' }, 503)
  if (!(await bearerMatches(c.req.header('authorization'), c.env.API_TOKEN)))
    return c.json({ error: 'unauthorized: send Authorization: Bearer <API_TOKEN>' }, 401, { 'WWW-Authenticate': 'Bearer realm="grantcheck"' })
  return next()
})

app.get('/', async (c) => {
  const targets = configuredTargets(c.env)
  const rows = await Promise.all(
    targets.map(async (t) => ({ name: t.name, issuer: t.issuer, tokenEndpoint: t.tokenEndpoint, runs: await loadIndex(c.env.REPORTS, t.name) })),
  )
  return c.html(renderDashboard(rows))
})

app.get('/runs/:id', async (c) => {
  const report = await loadRun(c.env.REPORTS, c.req.param('id'))
  return report ? c.html(renderHtml(report)) : c.json({ error: 'no such run' }, 404)
})

app.get('/api/runs/:id', async (c) => {
  const report = await loadRun(c.env.REPORTS, c.req.param('id'))
  if (!report) return c.json({ error: 'no such run' }, 404)
  const format = c.req.query('format') ?? 'json'
  if (format === 'junit') return c.body(renderJunit(report), 200, { 'Content-Type': 'application/xml; charset=utf-8' })
  if (format === 'md') return c.body(renderMarkdown(report), 200, { 'Content-Type': 'text/markdown; charset=utf-8' })
  if (format !== 'json') return c.json({ error: 'format must be json, junit or md' }, 400)
  return c.json(report)
})

app.get('/api/targets', (c) =>
  c.json(
    configuredTargets(c.env).map((t) => ({ name: t.name, issuer: t.issuer, tokenEndpoint: t.tokenEndpoint, clients: Object.keys(t.clients) })),
  ),
)

app.post('/api/runs', async (c) => {
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
  if (!parsed.success)
    return c.json({ error: 'invalid run request: only { "target", "suites" } are accepted', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 400)
  const target = configuredTargets(c.env).find((t) => t.name === parsed.data.target)
  if (!target) return c.json({ error: `"${parsed.data.target}" is not a configured target; runs name configured targets, never URLs` }, 404)
  try {
    const { report, newFailures } = await runTarget(c.env, target, parsed.data.suites)
    const t = report.targets[0]!
    return c.json({ id: report.runId, target: t.name, summary: t.summary.outcomes, newFailures, report: `/runs/${report.runId}` }, 201)
  } catch (e) {
    if (e instanceof RunRefusedError) return c.json({ error: e.message }, 422)
    throw e
  }
})

app.onError((e, c) => {
  // Configuration problems name the binding and field; no secret is ever in these messages.
  if (e instanceof InputInvalidError) return c.json({ error: e.message }, 500)
  return c.json({ error: 'internal error' }, 500)
})

export default {
  fetch: app.fetch,
  async scheduled(_event: unknown, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<void> {
    ctx.waitUntil(runAllTargets(env))
  },
}
