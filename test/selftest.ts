/**
 * The generative self-test: `npm run selftest -- --runs N --seed S`. Each run switches on a seeded
 * random set of lawful variations of the reference server (src/reference-server/lawful.ts, the
 * provider dialects among them), runs every built-in suite, and counts every failed or errored
 * check or case, and every warning no SHOULD of the text allows, as a false verdict, shrunk to the
 * fewest switches that still give it. Then it adds one defect that goes with that combination and
 * counts each check the defect is aimed at that still held where it was judged (sensitivity that
 * did not survive the variation). Run i uses seed S + i, so `--seed S+i --runs 1` replays it.
 * Prints `N runs, K false verdicts` and exits 1 when K > 0.
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { mapPool } from '../src/core/engine.ts'
import { DEFECTS, type DefectInfo } from '../src/reference-server/defects.ts'
import type { CaseResult } from '../src/schema/report.ts'
import type { ClientAuthProfile } from '../src/schema/target.ts'
import { runReference } from './_reference.ts'
import { falseVerdicts, missedTargets, sample, shrink, verdictKey, type FalseVerdict, type Sample } from './_sampler.ts'

interface RunFinding {
  sample: Sample
  /** The false verdicts of the lawful combination, with the switches that still give them. */
  falseVerdicts: FalseVerdict[]
  shrunk?: string[]
  /** The defect's target checks that held where judged, and those no case judged. */
  missed: string[]
  masked: string[]
  shrunkForMissed?: string[]
}

export interface SelftestResult {
  runs: RunFinding[]
  /** False verdicts and missed targets, all runs together. */
  count: number
}

const aloneRuns = new Map<string, Promise<CaseResult[]>>()
/** A defect's run on its own, once per process: where its targets fail without any variation. */
function defectAlone(defect: string, profile?: ClientAuthProfile): Promise<CaseResult[]> {
  if (!aloneRuns.has(defect)) aloneRuns.set(defect, runReference([defect], profile))
  return aloneRuns.get(defect)!
}

/** Runs `runs` samples from `seed` on, two at a time (the machines have two cores). */
export async function selftest(options: { runs: number; seed: number; sensitivity?: boolean; log?: (line: string) => void }): Promise<SelftestResult> {
  const log = options.log ?? (() => {})
  const seeds = Array.from({ length: options.runs }, (_, i) => options.seed + i)
  const findings = await mapPool(seeds, 2, async (seed) => {
    const s = sample(seed, options.sensitivity ?? true)
    const found = falseVerdicts(await runReference(s.lawful), s.lawful)
    const finding: RunFinding = { sample: s, falseVerdicts: found, missed: [], masked: [] }
    if (found.length) {
      const keys = new Set(found.map(verdictKey))
      finding.shrunk = await shrink(s.lawful, async (fewer) => falseVerdicts(await runReference(fewer), fewer).some((v) => keys.has(verdictKey(v))))
    }
    if (s.defect) {
      const profile = (DEFECTS as Record<string, DefectInfo>)[s.defect]!.clientAuthProfile
      const alone = await defectAlone(s.defect, profile)
      const { missed, masked } = missedTargets(await runReference([...s.lawful, s.defect], profile), s.defect, alone)
      Object.assign(finding, { missed, masked })
      if (missed.length)
        finding.shrunkForMissed = await shrink(s.lawful, async (fewer) => missedTargets(await runReference([...fewer, s.defect!], profile), s.defect!, alone).missed.some((m) => missed.includes(m)))
    }
    log(describe(finding))
    return finding
  })
  return { runs: findings, count: findings.reduce((n, f) => n + f.falseVerdicts.length + f.missed.length, 0) }
}

function describe(f: RunFinding): string {
  const { seed, lawful, defect } = f.sample
  const lines = [
    `seed ${seed}: ${lawful.join(', ')}${defect ? `; with defect ${defect}` : ''}: ${f.falseVerdicts.length + f.missed.length ? 'FALSE VERDICTS' : 'ok'}${f.masked.length ? ` (masked: ${f.masked.join(', ')})` : ''}`,
  ]
  for (const v of f.falseVerdicts) lines.push(`  false verdict: ${v.case} ${v.check ?? ''} ${v.outcome}: ${v.message}`)
  if (f.shrunk) lines.push(`  reproduced by: ${f.shrunk.join(', ')} (replay: --seed ${seed} --runs 1)`)
  for (const m of f.missed) lines.push(`  sensitivity lost: ${m} held under ${defect}`)
  if (f.shrunkForMissed) lines.push(`  lost with: ${f.shrunkForMissed.join(', ')} + ${defect}`)
  return lines.join('\n')
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, seed: { type: 'string' }, 'no-sensitivity': { type: 'boolean', default: false } } })
  const runs = Number(values.runs)
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed)
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
    console.error('usage: npm run selftest -- [--runs N] [--seed S] [--no-sensitivity]')
    return 2
  }
  console.log(`self-test: ${runs} runs from seed ${seed}`)
  const started = Date.now()
  const result = await selftest({ runs, seed, sensitivity: !values['no-sensitivity'], log: (line) => console.log(line) })
  const masked = result.runs.reduce((n, f) => n + f.masked.length, 0)
  console.log(`${runs} runs, ${result.count} false verdicts (${masked} defect targets masked by a variation; ${((Date.now() - started) / 1000).toFixed(0)} s)`)
  return result.count > 0 ? 1 : 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main()
