/**
 * The bench's Worker: the engine alone, with the built-in suites, in workerd. It stands apart from
 * src/worker (routes, KV, auth) so that the bench measures what a run costs, whatever the app
 * around it looks like.
 *
 *   POST /run    a target (a target file's contents, literal secrets): every built-in case against
 *                it with `fetch`; answers with the outcomes and the report's size
 *   POST /floor  { url, authorization, requests, concurrency }: that many plain client-credentials
 *                requests, bodies read, nothing checked (the bench's floor, in workerd)
 *
 * Bundled by scripts/build.mjs as the Worker is (dist/bench-workerd-harness.mjs).
 */
import { builtinSuites } from '../src/core/builtin.ts'
import { mapPool, runPlan } from '../src/core/engine.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { TargetSchema } from '../src/schema/target.ts'

async function run(body: unknown): Promise<Response> {
  const target = TargetSchema.parse(body)
  // Planned once per isolate (builtinSuites keeps them), as in the Worker: the first run pays for it.
  const report = await runPlan([resolveTarget(target, () => undefined, 'bench target')], builtinSuites(), {
    fetch,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: 'bench',
  })
  // The Worker stores every report as JSON: serialising it is part of a run's cost.
  const reportBytes = JSON.stringify(report).length
  const t = report.targets[0]!
  return Response.json({ cases: t.cases.length, requests: t.requests, tokenEndpoint: t.tokenEndpoint, outcomes: t.summary.outcomes, error: t.error, reportBytes })
}

async function floor(body: { url: string; authorization: string; requests: number; concurrency: number }): Promise<Response> {
  const headers = { Authorization: body.authorization, 'Content-Type': 'application/x-www-form-urlencoded' }
  await mapPool(Array.from({ length: body.requests }), body.concurrency, async () => {
    const res = await fetch(body.url, { method: 'POST', headers, body: 'grant_type=client_credentials&scope=read', redirect: 'manual' })
    await res.arrayBuffer()
  })
  return Response.json({ requests: body.requests })
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return new Response('ok')
    const path = new URL(request.url).pathname
    if (path === '/run') return run(await request.json())
    if (path === '/floor') return floor(await request.json())
    return new Response('not found', { status: 404 })
  },
}
