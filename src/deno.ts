/**
 * grantcheck under Deno: runs the built-in suites against one target file and prints the summary.
 * The same engine as the CLI and the Worker; only this file knows it is in Deno.
 *
 *   deno run --allow-read --allow-env --allow-net src/deno.ts --target src/reference-server/reference-target.json [--json]
 */
import suiteData from './generated/builtin-suites.json' with { type: 'json' }
import { runPlan } from './core/engine.ts'
import { planBundle, type SuiteBundle } from './core/plan.ts'
import { resolveTarget } from './core/resolve.ts'
import { renderText } from './reporters/text.ts'
import { TargetSchema } from './schema/target.ts'

declare const Deno: {
  args: string[]
  readTextFile(path: string): Promise<string>
  env: { get(name: string): string | undefined }
  exit(code: number): never
}

const at = Deno.args.indexOf('--target')
const file = at >= 0 ? Deno.args[at + 1] : undefined
if (!file) {
  console.error('usage: deno run --allow-read --allow-env --allow-net src/deno.ts --target FILE [--json]')
  Deno.exit(2)
}
const parsed = TargetSchema.safeParse(JSON.parse(await Deno.readTextFile(file)))
if (!parsed.success) {
  console.error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  Deno.exit(2)
}
const target = resolveTarget(parsed.data, (name) => Deno.env.get(name), file)
const suites = planBundle(suiteData as SuiteBundle)
const report = await runPlan([target], suites, {
  fetch,
  now: () => Date.now(),
  randomId: () => crypto.randomUUID().replace(/-/g, ''),
  toolVersion: 'deno',
})
if (Deno.args.includes('--json')) console.log(JSON.stringify({ outcomes: report.targets[0]!.summary.outcomes, cases: Object.fromEntries(report.targets[0]!.cases.map((c) => [`${c.suite}/${c.id}`, c.outcome])) }))
else console.log(renderText(report))
Deno.exit(report.targets[0]!.cases.some((c) => c.outcome === 'failed') ? 1 : 0)
