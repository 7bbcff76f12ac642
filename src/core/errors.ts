/**
 * Tool failures, as opposed to conformance findings (which are results, never exceptions).
 *
 * @module
 */

export type ErrorCode = 'CC_TARGET_INVALID' | 'CC_SUITE_INVALID' | 'CC_SECRET_MISSING' | 'CC_REPORT_INVALID' | 'CC_DISCOVERY_FAILED' | 'CC_REQUEST_FAILED' | 'CC_CHECK_CRASHED'

/** Base class: a stable `code`, a lower-case message, an optional cause. */
export class ConformanceError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = this.constructor.name
  }
}

/** One problem in an input file: where it is and what is wrong. */
export interface InputIssue {
  /** The field path, e.g. `clients.primary.clientSecret`, or '' for the whole file. */
  path: string
  message: string
  line?: number
}

/** A target, suite or profile file that cannot be used; nothing has been sent. */
export class InputInvalidError extends ConformanceError {
  readonly file: string
  readonly issues: InputIssue[]
  constructor(code: 'CC_TARGET_INVALID' | 'CC_SUITE_INVALID' | 'CC_SECRET_MISSING' | 'CC_REPORT_INVALID', file: string, issues: InputIssue[]) {
    super(code, `${file}: ${issues.map(formatIssue).join('; ')}`)
    this.file = file
    this.issues = issues
  }
}

function formatIssue(issue: InputIssue): string {
  const where = [issue.line ? `line ${issue.line}` : '', issue.path ? `"${issue.path}"` : ''].filter(Boolean).join(' ')
  return where ? `${where}: ${issue.message}` : issue.message
}

/** Formats a zod-style path (`['clients', 'primary', 'clientId']`) as `clients.primary.clientId`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('')
}
