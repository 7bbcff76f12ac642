/**
 * The comparison matrix: rows are cases, columns are targets, cells are verdicts. One model for
 * the JSON file and the HTML table.
 *
 * @module
 */
import type { Outcome, Report } from '../schema/report.ts'

export interface MatrixRow {
  /** `suite/case`. */
  case: string
  title: string
  level: string
  requirement: { label: string; url: string }
  cells: Array<{ target: string; outcome: Outcome | null; anchor: string | null; reason?: string }>
  /** True when the targets do not all have the same verdict. */
  differ: boolean
}

export interface Matrix {
  format: 'grantcheck-matrix'
  version: 1
  runId: string
  targets: string[]
  rows: MatrixRow[]
}

/** The anchor of a case's evidence in the HTML report: unique per target. */
export function caseAnchor(targetIndex: number, suite: string, id: string): string {
  return `t${targetIndex}-${suite}-${id}`
}

export function buildMatrix(report: Report): Matrix {
  const rows = new Map<string, MatrixRow>()
  report.targets.forEach((t) => {
    for (const c of t.cases) {
      const key = `${c.suite}/${c.id}`
      if (!rows.has(key)) {
        const r = c.requirements[0]!
        rows.set(key, { case: key, title: c.title, level: c.level, requirement: { label: r.label, url: r.url }, cells: [], differ: false })
      }
    }
  })
  for (const row of rows.values()) {
    row.cells = report.targets.map((t, ti) => {
      const c = t.cases.find((x) => `${x.suite}/${x.id}` === row.case)
      return c ? { target: t.name, outcome: c.outcome, anchor: caseAnchor(ti, c.suite, c.id), reason: c.reason } : { target: t.name, outcome: null, anchor: null }
    })
    row.differ = new Set(row.cells.map((c) => c.outcome)).size > 1
  }
  return { format: 'grantcheck-matrix', version: 1, runId: report.runId, targets: report.targets.map((t) => t.name), rows: [...rows.values()] }
}
