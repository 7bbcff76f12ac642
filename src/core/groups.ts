/**
 * Expectation groups: a named list of expectations with parameters, such as `refused` (no token,
 * a well-formed 4xx error with one of the right codes), so that every case of a kind judges the
 * same things. Built-in groups live in suites/_groups.yaml; a suite may add its own.
 *
 * A use is replaced by the group's expectations when the suite is loaded, `${args.<name>}`
 * standing for the argument (a whole-value `${args.x}` keeps the argument's type).
 *
 * @module
 */
import { nearest } from '../schema/refs.ts'
import { GroupLibrarySchema, type Group } from '../schema/suite.ts'
import { flattenIssues } from './issues.ts'
import { InputInvalidError, formatPath, type InputIssue } from './errors.ts'

export type GroupLibrary = ReadonlyMap<string, Group>

const ARG_REF = /\$\{\s*args\.([a-zA-Z][a-zA-Z0-9]*)\s*\}/g
const WHOLE_ARG_REF = /^\$\{\s*args\.([a-zA-Z][a-zA-Z0-9]*)\s*\}$/

/**
 * Validates a group library file.
 *
 * @throws InputInvalidError (`CC_SUITE_INVALID`) naming each problem's field and line.
 */
export function planGroupLibrary(data: unknown, file: string, locate?: (path: PropertyKey[]) => number | undefined): GroupLibrary {
  const parsed = GroupLibrarySchema.safeParse(data)
  const at = (path: PropertyKey[], message: string): InputIssue => ({ path: formatPath(path), message, line: locate?.(path) })
  if (!parsed.success)
    throw new InputInvalidError(
      'CC_SUITE_INVALID',
      file,
      flattenIssues(parsed.error.issues).map((i) => at(i.path, i.message)),
    )
  const issues = Object.entries(parsed.data.groups).flatMap(([name, g]) => groupIssues(g, ['groups', name]).map((i) => at(i.path, i.message)))
  if (issues.length) throw new InputInvalidError('CC_SUITE_INVALID', file, issues)
  return new Map(Object.entries(parsed.data.groups))
}

/** A group's own problems: arguments it uses but does not declare. */
export function groupIssues(group: Group, path: PropertyKey[]): Array<{ path: PropertyKey[]; message: string }> {
  const used = new Set<string>()
  walkStrings(group.expect, (s) => {
    for (const m of s.matchAll(ARG_REF)) used.add(m[1]!)
  })
  return [...used]
    .filter((name) => !Object.hasOwn(group.params, name))
    .map((name) => ({ path: [...path, 'expect'], message: `\${args.${name}} is not a parameter of this group (declare it under "params")` }))
}

/**
 * The expectations a group use stands for, or what is wrong with the use (an unknown group, an
 * unknown or missing argument).
 */
export function expandGroup(name: string, args: Record<string, unknown> | undefined, groups: GroupLibrary): { expectations: unknown[] } | { error: string; field: 'group' | 'args' } {
  const group = groups.get(name)
  if (!group) {
    const guess = nearest(name, [...groups.keys()])
    return { field: 'group', error: `unknown group "${name}"${guess ? `; did you mean "${guess}"?` : ''} (groups: ${[...groups.keys()].join(', ')})` }
  }
  const given = args ?? {}
  const unknown = Object.keys(given).filter((k) => !Object.hasOwn(group.params, k))
  if (unknown.length) return { field: 'args', error: `group "${name}" has no parameter ${unknown.map((u) => `"${u}"`).join(', ')} (parameters: ${Object.keys(group.params).join(', ') || 'none'})` }
  const values: Record<string, unknown> = {}
  for (const [p, spec] of Object.entries(group.params)) {
    if (Object.hasOwn(given, p)) values[p] = given[p]
    else if (spec.default !== undefined) values[p] = spec.default
    else return { field: 'args', error: `group "${name}" needs the argument "${p}" (${spec.description})` }
  }
  return { expectations: group.expect.map((e) => substitute(e, values)) }
}

/** Replaces `${args.x}` in every string of a value: a whole-value reference takes the argument itself. */
function substitute(value: unknown, args: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_ARG_REF.exec(value)
    if (whole) return args[whole[1]!]
    return value.replace(ARG_REF, (_, name: string) => {
      const v = args[name]
      return typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : JSON.stringify(v)
    })
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, args))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, args)]))
  return value
}

function walkStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value)
  else if (Array.isArray(value)) for (const v of value) walkStrings(v, visit)
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) walkStrings(v, visit)
}
