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
  // One pass groups the errored items by scope and root cause, with the reason their row shows:
  // what stopped the run where there is such a reason, rather than its first symptom.
  const keys = items.map((item) => {
    const c = caseOf(item)
    return c.outcome === 'errored' && c.reason ? JSON.stringify([scope(item), rootCause(c.reason)]) : undefined
  })
  const groups = new Map<string, { count: number; reason: string }>()
  items.forEach((item, i) => {
    const k = keys[i]
    if (!k) return
    const reason = caseOf(item).reason!
    const g = groups.get(k)
    if (!g) groups.set(k, { count: 1, reason })
    else {
      g.count++
      if (g.reason === rootCause(g.reason) && reason !== rootCause(reason)) g.reason = reason
    }
  })
  const rows: Array<Row<T>> = []
  const printed = new Set<string>()
  items.forEach((item, i) => {
    const k = keys[i]
    const g = k ? groups.get(k)! : undefined
    if (!g || g.count < 2) rows.push({ item })
    else if (!printed.has(k!)) {
      printed.add(k!)
      rows.push({ reason: g.reason, count: g.count, first: item })
    }
  })
  return rows
}

/**
 * The error under a reason. When a target stops answering, the engine errors its remaining cases
 * with "target unresponsive: … (the last: <error>); …", or "… first request (<error>); …" when
 * nothing had answered (src/core/session.ts): the cases that
 * failed with that error before it gave up share its cause, and are counted with them.
 */
function rootCause(reason: string): string {
  return /^target unresponsive: .*? \((?:the last: )?(.*)\); its remaining cases were not sent/.exec(reason)?.[1] ?? reason
}
