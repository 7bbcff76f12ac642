/**
 * Zod's validation issues as a person should read them: a value that matches no branch of a
 * union is explained by the branch it came closest to, at that branch's field, instead of a bare
 * "Invalid input".
 *
 * @module
 */

interface ZodLikeIssue {
  code?: string
  path: PropertyKey[]
  message: string
  errors?: ZodLikeIssue[][]
}

export function flattenIssues(issues: readonly ZodLikeIssue[]): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = []
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors?.length) {
      // The branch that got furthest (deepest field), then the one with the fewest problems.
      const branches = issue.errors.map((b) => flattenIssues(b)).filter((b) => b.length)
      const depth = (b: Array<{ path: PropertyKey[] }>) => Math.max(...b.map((i) => i.path.length))
      const best = branches.sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0]
      if (best) {
        out.push(...best.map((b) => ({ path: [...issue.path, ...b.path], message: b.message })))
        continue
      }
    }
    out.push({ path: issue.path, message: issue.message })
  }
  return out
}
