/**
 * Reports in KV: `run:<id>` holds a report; `index:<target>` the target's recent runs, newest
 * first, with their counts (the dashboard's trend) and whether they drifted.
 */
import type { OutcomeCounts, Report } from '../schema/report.ts'
import type { KvNamespace } from './env.ts'

export const KEEP_RUNS = 30
const RUN_TTL_SECONDS = 60 * 60 * 24 * 90

export interface IndexEntry {
  id: string
  startedAt: string
  counts: OutcomeCounts
  /** Cases that fail now and did not in the previous run. */
  newFailures: number
  error?: string
}

export async function saveRun(kv: KvNamespace, report: Report): Promise<void> {
  await kv.put(`run:${report.runId}`, JSON.stringify(report), { expirationTtl: RUN_TTL_SECONDS })
}

export async function loadRun(kv: KvNamespace, id: string): Promise<Report | undefined> {
  if (!/^[\w-]{1,80}$/.test(id)) return undefined
  const text = await kv.get(`run:${id}`)
  return text ? (JSON.parse(text) as Report) : undefined
}

export async function loadIndex(kv: KvNamespace, target: string): Promise<IndexEntry[]> {
  const text = await kv.get(`index:${target}`)
  return text ? (JSON.parse(text) as IndexEntry[]) : []
}

export async function addToIndex(kv: KvNamespace, target: string, entry: IndexEntry): Promise<void> {
  const entries = [entry, ...(await loadIndex(kv, target))].slice(0, KEEP_RUNS)
  await kv.put(`index:${target}`, JSON.stringify(entries))
}
