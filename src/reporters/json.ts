/**
 * The canonical artifact: the report as JSON.
 *
 * @module
 */
import type { Report } from '../schema/report.ts'

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`
}
