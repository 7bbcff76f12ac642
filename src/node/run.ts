/**
 * Running the engine from Node, for the CLI and the programmatic API alike: the run context
 * (clock, identifiers, tool version) and the node:http(s) transport, closed when the run ends.
 */
import { TOOL_VERSION } from '../core/builtin.ts'
import { runPlan, type RunContext } from '../core/engine.ts'
import type { FetchLike } from '../core/http.ts'
import type { PlannedSuite } from '../core/plan.ts'
import type { ResolvedTarget } from '../core/resolve.ts'
import type { Report } from '../schema/report.ts'
import { createNodeTransport } from './transport.ts'

/** Runs the suites against the targets over the node transport, or over `fetch` when given (tests route host names with one). */
export async function runFromNode(targets: ResolvedTarget[], suites: PlannedSuite[], options: { fetch?: FetchLike; onEvent?: RunContext['onEvent'] } = {}): Promise<Report> {
  const transport = options.fetch ? undefined : createNodeTransport(`grantcheck/${TOOL_VERSION}`)
  const ctx: RunContext = {
    fetch: options.fetch ?? transport!.fetch,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: TOOL_VERSION,
    onEvent: options.onEvent,
  }
  return runPlan(targets, suites, ctx).finally(() => transport?.close())
}

/** The first name two targets share: a report keys its targets by name, so they could not be told apart. */
export function duplicateTargetName(targets: ResolvedTarget[]): string | undefined {
  const names = targets.map((t) => t.target.name)
  return names.find((n, i) => names.indexOf(n) !== i)
}
