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
    return c.outcome === 'errored' && c.reason ? JSON.stringify([scope(item), c.reason]) : undefined
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
      rows.push({ reason: caseOf(item).reason!, count, first: item })
    }
  }
  return rows
}
