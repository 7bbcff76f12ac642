/**
 * Test helpers for the Worker: Miniflare with every binding the Worker uses (D1, R2, the queue
 * and its consumer, the gate Durable Object), run from the same bundle a deploy uses, and small
 * readers of what it stored.
 */
import { Miniflare } from 'miniflare'
import { ROOT } from './_run.ts'

export const TOKEN = 'test-api-token-0123456789'
export const READ_TOKEN = 'test-read-token-9876543210'
export const auth = { Authorization: `Bearer ${TOKEN}` }
export const ORIGIN = 'http://localhost'

export function worker(bindings: Record<string, string>, extra: { port?: number; serviceBindings?: Record<string, (req: Request) => Promise<Response>> } = {}): Miniflare {
  return new Miniflare({
    modules: true,
    scriptPath: `${ROOT}/dist/worker.mjs`,
    compatibilityDate: '2026-04-01',
    d1Databases: ['DB'],
    r2Buckets: ['REPORTS'],
    queueProducers: { RUNS: 'grantcheck-runs' },
    queueConsumers: { 'grantcheck-runs': { maxBatchSize: 1, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: 'grantcheck-runs-dead' } },
    durableObjects: { GATE: 'TargetGate' },
    // Confirming runs at once unless a test says otherwise: the default waits 5 minutes (issue 25).
    bindings: { API_TOKEN: TOKEN, READ_TOKEN, CONFIRM_AFTER_MINUTES: '0', ...bindings },
    ...(extra.serviceBindings ? { serviceBindings: extra.serviceBindings as never } : {}),
    ...(extra.port !== undefined ? { host: '127.0.0.1', port: extra.port } : {}),
  })
}

export interface RunStatus {
  id: string
  status: string
  target: string
  trigger: string
  parts: number
  partsDone: number
  counts?: Record<string, number>
  error?: string
}

/** Waits until every run the Worker knows of is done (the queue drained), or throws after `ms`. */
export async function settled(mf: Miniflare, ms = 120_000): Promise<RunStatus[]> {
  const until = Date.now() + ms
  for (;;) {
    const res = await mf.dispatchFetch(`${ORIGIN}/api/runs?limit=100`, { headers: auth })
    const { runs } = (await res.json()) as { runs: RunStatus[] }
    const open = runs.filter((r) => r.status !== 'done')
    if (!open.length) {
      // The completion of the last run may still be delivering its alert.
      await new Promise((r) => setTimeout(r, 300))
      return runs
    }
    if (Date.now() > until) throw new Error(`runs not finished after ${ms} ms: ${open.map((r) => `${r.id} ${r.status} ${r.partsDone}/${r.parts}`).join(', ')}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

export async function postRun(mf: Miniflare, body: unknown): Promise<Response> {
  return (await mf.dispatchFetch(`${ORIGIN}/api/runs`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })) as unknown as Response
}

/** Fires the cron as Cloudflare would, at a given time (runs are due by the hour in the tests). */
export async function cron(mf: Miniflare, at: number): Promise<void> {
  const w = (await mf.getWorker()) as unknown as { scheduled(e: { cron: string; scheduledTime: number }): Promise<unknown> }
  await w.scheduled({ cron: '*/5 * * * *', scheduledTime: at })
}

export async function d1<T = Record<string, unknown>>(mf: Miniflare, sql: string, ...args: unknown[]): Promise<T[]> {
  const db = (await mf.getD1Database('DB')) as unknown as { prepare(s: string): { bind(...a: unknown[]): { all(): Promise<{ results: T[] }> } } }
  return (
    await db
      .prepare(sql)
      .bind(...args)
      .all()
  ).results
}
