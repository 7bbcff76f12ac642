/**
 * The self-test's logic, without I/O: seeded samples of lawful variations that can be switched on
 * together, what counts as a false verdict in a run, and shrinking a failing sample to the fewest
 * switches that still reproduce it. test/selftest.ts runs it against the reference server.
 */
import { DEFECTS, type DefectInfo } from '../src/reference-server/defects.ts'
import { LAWFUL, type LawfulVariation } from '../src/reference-server/lawful.ts'
import type { CaseResult } from '../src/schema/report.ts'
import { rng } from './_rng.ts'

const lawful = LAWFUL as Record<string, LawfulVariation>
const defects = DEFECTS as Record<string, DefectInfo>

/** The policy fields and values a switch sets. */
function setOf(name: string): Record<string, unknown> {
  return (lawful[name] ?? defects[name])!.set
}

/** Two switches go together unless they set one field to different values. */
export function compatible(a: string, b: string): boolean {
  const x = setOf(a)
  const y = setOf(b)
  return Object.entries(x).every(([field, value]) => !(field in y) || y[field] === value)
}

export interface Sample {
  seed: number
  lawful: string[]
  /** For a sensitivity run: the defect added to the lawful combination. */
  defect?: string
}

/** Most switches a sample holds: enough to combine, few enough for a failure to be read. */
const MAX_SWITCHES = 8

/**
 * A seeded sample: between 1 and MAX_SWITCHES lawful variations that go together, in a random
 * order; with `withDefect`, one defect that goes with all of them too.
 */
export function sample(seed: number, withDefect = false): Sample {
  const random = rng(seed)
  const shuffled = (names: string[]) =>
    names
      .map((n) => [random(), n] as const)
      .sort(([a], [b]) => a - b)
      .map(([, n]) => n)
  const size = 1 + Math.floor(random() * MAX_SWITCHES)
  const chosen: string[] = []
  for (const name of shuffled(Object.keys(lawful))) {
    if (chosen.length === size) break
    if (chosen.every((c) => compatible(c, name))) chosen.push(name)
  }
  if (!withDefect) return { seed, lawful: chosen.sort() }
  const defect = shuffled(Object.keys(defects)).find((d) => chosen.every((c) => compatible(c, d)))
  return { seed, lawful: chosen.sort(), ...(defect ? { defect } : {}) }
}

/** One verdict the run should not have given. */
export interface FalseVerdict {
  case: string
  check?: string
  outcome: string
  message: string
}

/**
 * The false verdicts of a run with only lawful variations on: a case failed or errored, or a
 * check that did not hold, but for a warning a SHOULD lets one of the variations give.
 */
export function falseVerdicts(cases: readonly CaseResult[], switches: readonly string[]): FalseVerdict[] {
  const mayWarn = new Set(switches.flatMap((n) => Object.keys(lawful[n]?.mayWarn ?? {})))
  const found: FalseVerdict[] = []
  for (const c of cases) {
    const key = `${c.suite}/${c.id}`
    const bad = c.checks.filter((k) => k.outcome === 'failed' || k.outcome === 'errored' || (k.outcome === 'warning' && !mayWarn.has(k.check)))
    for (const k of bad) found.push({ case: key, check: k.check, outcome: k.outcome, message: k.message })
    if (!bad.length && (c.outcome === 'failed' || c.outcome === 'errored')) found.push({ case: key, outcome: c.outcome, message: c.reason ?? '' })
  }
  return found
}

const NOT_HOLDING = new Set(['failed', 'warning', 'errored'])

/**
 * The checks a defect is aimed at that held, with the lawful variations on, in every case where
 * they did not hold with the defect alone (`alone`): sensitivity lost. Where those cases no longer
 * judge the check at MUST or SHOULD level (a lawful opaque token hides every JWT check and a grant
 * narrowed without a scope member; a plain JWT makes RFC 9068's claim rules informational), the
 * target is masked, not missed, and returned apart.
 */
export function missedTargets(cases: readonly CaseResult[], defect: string, alone: readonly CaseResult[]): { missed: string[]; masked: string[] } {
  const missed: string[] = []
  const masked: string[] = []
  const key = (c: CaseResult) => `${c.suite}/${c.id}`
  const found = (runs: readonly CaseResult[], target: string) => new Map(runs.map((c) => [key(c), c.checks.filter((k) => k.check === target)]))
  for (const target of defects[defect]!.targets.filter((t) => !t.includes('/'))) {
    const caught = [...found(alone, target)].filter(([, ks]) => ks.some((k) => NOT_HOLDING.has(k.outcome))).map(([k]) => k)
    const now = found(cases, target)
    // At INFO level a check that held and one that did not read alike: only MUST and SHOULD tell.
    const judged = caught.flatMap((k) => (now.get(k) ?? []).filter((c) => c.outcome !== 'skipped' && c.level !== 'INFO'))
    if (judged.some((k) => NOT_HOLDING.has(k.outcome))) continue
    if (judged.length) missed.push(target)
    else masked.push(target)
  }
  return { missed, masked }
}

/** What identifies a false verdict across runs: the case and the check. */
export const verdictKey = (v: FalseVerdict) => `${v.case} ${v.check ?? '(case)'}`

/**
 * The smallest set of switches (one at a time removed while the failure stays) that still gives
 * one of the false verdicts `reproduces` looks for. `run` is a full run of the suites.
 */
export async function shrink(switches: string[], reproduces: (switches: string[]) => Promise<boolean>): Promise<string[]> {
  let current = [...switches]
  let changed = true
  while (changed && current.length > 1) {
    changed = false
    for (const name of current) {
      const fewer = current.filter((n) => n !== name)
      if (await reproduces(fewer)) {
        current = fewer
        changed = true
        break
      }
    }
  }
  return current
}
