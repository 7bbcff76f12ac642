/**
 * Errors shared by many cases, for console output. When a target cannot be reached (a refused
 * connection, a DNS or TLS failure, a timeout) every case errors with the same reason; listing
 * it once per case buried everything else in 80 identical lines. Failures, warnings and errors
 * of their own keep a line each; the JSON and HTML reports keep every case.
 *
 * @module
 */
import type { CaseResult } from '../schema/report.ts'

/** A line of a case list: one item, or the errors that share one reason, at the place of the first. */
export type Row<T> = { item: T } | { reason: string; count: number; first: T }

/**
 * `items` in order, the errored ones that share a reason (within the same `scope`, such as a
 * target) folded into one row with their count.
 */
export function foldSharedErrors<T>(items: readonly T[], caseOf: (item: T) => CaseResult, scope: (item: T) => string = () => ''): Array<Row<T>> {
  const key = (item: T) => {
    const c = caseOf(item)
    return c.outcome === 'errored' && c.reason ? JSON.stringify([scope(item), rootCause(c.reason)]) : undefined
  }
  const counts = new Map<string, number>()
  for (const item of items) {
    const k = key(item)
    if (k) counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  const rows: Array<Row<T>> = []
  const printed = new Set<string>()
  for (const item of items) {
    const k = key(item)
    const count = k ? counts.get(k)! : 1
    if (count < 2) rows.push({ item })
    else if (!printed.has(k!)) {
      printed.add(k!)
      // The row says what stopped the run where there is such a reason, rather than its first symptom.
      const reasons = items.filter((x) => key(x) === k).map((x) => caseOf(x).reason!)
      rows.push({ reason: reasons.find((r) => r !== rootCause(r)) ?? reasons[0]!, count, first: item })
    }
  }
  return rows
}

/**
 * The error under a reason. When a target stops answering, the engine errors its remaining cases
 * with "target unresponsive: … (the last: <error>); …" (src/core/session.ts): the cases that
 * failed with that error before it gave up share its cause, and are counted with them.
 */
function rootCause(reason: string): string {
  return /^target unresponsive: .*? \(the last: (.*)\); its remaining cases were not sent/.exec(reason)?.[1] ?? reason
}
