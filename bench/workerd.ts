/**
 * The CPU a full built-in run costs in workerd: the bench's harness Worker (bench/workerd-harness.ts)
 * in Miniflare, run against a target, the CPU read from /proc for the workerd processes this
 * process started. Linux only (elsewhere the CPU figures are absent); /proc counts in ticks of
 * 1/100 s, so a single figure is good to 10 ms.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import type { TargetInput } from '../src/schema/target.ts'

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux the bench runs on. */
const TICKS_PER_SECOND = 100

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is the state. */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
  } catch {
    return undefined
  }
}

/**
 * CPU milliseconds (user + system, all threads) of the workerd processes descended from this
 * process. Only descendants: someone else's workerd on the same machine is not ours to count.
 */
function workerdCpuMs(): number | undefined {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return undefined
  }
  const stats = new Map<string, string[]>()
  for (const pid of pids) {
    const f = statFields(pid)
    if (f) stats.set(pid, f)
  }
  const ours = (pid: string) => {
    for (let p = stats.get(pid)?.[1], hops = 0; p && hops < 64; p = stats.get(p)?.[1], hops++) if (p === String(process.pid)) return true
    return false
  }
  let ticks = 0
  for (const [pid, f] of stats) {
    let comm: string
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
    } catch {
      continue
    }
    // utime and stime, fields 14 and 15 of stat.
    if (comm === 'workerd' && ours(pid)) ticks += Number(f[11]) + Number(f[12])
  }
  return (ticks * 1000) / TICKS_PER_SECOND
}

/** CPU and wall milliseconds of one request to the harness, with its answer. */
export interface Measured<T> {
  cpuMs: number | undefined
  wallMs: number
  answer: T
}

/** A fresh workerd with the harness loaded (answered once, so starting it is not counted). */
export async function startHarness(root: string): Promise<Miniflare> {
  const mf = new Miniflare({ modules: true, scriptPath: join(root, 'dist/bench-workerd-harness.mjs'), compatibilityDate: '2026-04-01' })
  await (await mf.dispatchFetch('http://harness.test/')).text()
  return mf
}

async function measured<T>(mf: Miniflare, path: string, body: unknown): Promise<Measured<T>> {
  const cpu0 = workerdCpuMs()
  const t0 = performance.now()
  const res = await mf.dispatchFetch(`http://harness.test${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  const wallMs = performance.now() - t0
  const cpu1 = workerdCpuMs()
  if (res.status !== 200) throw new Error(`the workerd harness answered HTTP ${res.status} to ${path}: ${text.slice(0, 500)}`)
  return { cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0, wallMs, answer: JSON.parse(text) as T }
}

export interface RunAnswer {
  cases: number
  requests: number
  tokenEndpoint?: string
  outcomes: Record<string, number>
  error?: string
  reportBytes: number
}

/** One full run of the built-in suites in the harness. */
export async function runInWorkerd(mf: Miniflare, target: TargetInput): Promise<Measured<RunAnswer>> {
  const r = await measured<RunAnswer>(mf, '/run', target)
  if (r.answer.error) throw new Error(`the workerd harness could not run the target: ${r.answer.error}`)
  return r
}

/** The floor in workerd: `requests` plain token requests at `concurrency`, nothing checked. */
export function floorInWorkerd(mf: Miniflare, floor: { url: string; authorization: string; requests: number; concurrency: number }): Promise<Measured<unknown>> {
  return measured(mf, '/floor', floor)
}
