/**
 * The monitored targets and how each is monitored. Targets live in D1 (`targets`: one row per
 * target, its body the target file's JSON with its `monitor`), written through the admin API
 * (src/worker/admin.ts), `grantcheck worker push` or `wrangler d1 execute`; `GRANTCHECK_TARGETS`,
 * a JSON array of the same, is still read for small deployments, and a stored target wins over
 * an entry of the same name there (which is reported). An entry that does not validate is
 * reported with where it is and its field, and the others run: one typo never stops the
 * monitoring of every tenant.
 */
import { flattenIssues } from '../core/issues.ts'
import { literalSecretIssues, MonitorSchema } from '../schema/monitor.ts'
import { TargetSchema, type Target } from '../schema/target.ts'
import type { Budget } from './budget.ts'
import type { Env } from './env.ts'
import { ruleOf } from './state.ts'

export interface Monitor {
  target: Target
  everyMinutes: number
  suites?: string[]
  concurrency: number
  confirm: number
  /** M of "N of M" (src/worker/state.ts); N is `confirm` + 1. */
  confirmOf: number
  confirmAfterMinutes: number
}

export interface ConfigProblem {
  /** Where: `GRANTCHECK_TARGETS[2].issuer`. */
  where: string
  /** The entry's name, when it has a usable one. */
  name?: string
  message: string
}

export interface Configuration {
  monitors: Monitor[]
  problems: ConfigProblem[]
}

/** A positive integer setting, or its fallback when the value is missing or malformed. */
export const positiveInt = (value: unknown, fallback: number) => {
  const n = Number(value)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

const confirmDelay = (value: string | undefined) => {
  const n = Number(value)
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? Math.min(60, n) : 5
}

/** Global settings with their defaults; a malformed value falls back (and is not a secret). */
export function settings(env: Env) {
  return {
    maxSubrequests: positiveInt(env.MAX_SUBREQUESTS, 1000),
    confirm: env.CONFIRM_FAILURES === undefined || env.CONFIRM_FAILURES === '' ? 1 : Math.min(3, Math.max(0, Math.trunc(Number(env.CONFIRM_FAILURES)) || 0)),
    confirmOf: env.CONFIRM_OF ? Math.min(8, positiveInt(env.CONFIRM_OF, 1)) : undefined,
    confirmAfterMinutes: confirmDelay(env.CONFIRM_AFTER_MINUTES),
    retentionDays: positiveInt(env.RETENTION_DAYS, 90),
    everyMinutes: positiveInt(env.DEFAULT_EVERY_MINUTES, 60),
    publicBadges: env.PUBLIC_BADGES === 'true',
  }
}

/** How long an isolate keeps the configuration it read from D1; a write through the admin API clears it at once in its own isolate. */
const CONFIGURATION_TTL_MS = 10_000

let cached: { at: number; text: string | undefined; config: Promise<Configuration> } | undefined
/** The stored bodies validated at the last read, by defaults and text. */
let validated = new Map<string, EntryResult>()

/** Forgets this isolate's configuration: the next call reads D1 again (after an admin write). */
export function forgetConfiguration(): void {
  cached = undefined
}

/**
 * The monitors of the configuration, and what is wrong with the entries that are not: the
 * targets stored in D1, then those of `GRANTCHECK_TARGETS` with other names. Read once per
 * isolate and `CONFIGURATION_TTL_MS` (one D1 query, counted in `budget` when given).
 */
export function configuration(env: Env, budget?: Budget): Promise<Configuration> {
  const now = Date.now()
  if (cached && cached.text === env.GRANTCHECK_TARGETS && now - cached.at < CONFIGURATION_TTL_MS) return cached.config
  const entry = {
    at: now,
    text: env.GRANTCHECK_TARGETS,
    config: storedTargets(env, budget).then((rows) => {
      // Validating 50 targets costs about 10 ms of CPU: a body that did not change is not validated again.
      const defaults = settings(env)
      const memo = new Map<string, EntryResult>()
      const config = mergeConfiguration(rows, env.GRANTCHECK_TARGETS, defaults, (body) => {
        const key = `${defaults.everyMinutes}/${defaults.confirm}/${defaults.confirmOf}/${defaults.confirmAfterMinutes}/${body}`
        const v = validated.get(key) ?? validateStored(body, defaults)
        memo.set(key, v)
        return v
      })
      validated = memo
      return config
    }),
  }
  entry.config.catch(() => {
    if (cached === entry) cached = undefined
  })
  cached = entry
  return entry.config
}

/** The rows of `targets`, by name; none while the table does not exist yet (Store.ready creates it). */
async function storedTargets(env: Env, budget?: Budget): Promise<Array<{ name: string; body: string }>> {
  const query = () => env.DB.prepare('SELECT name, body FROM targets ORDER BY name').all<{ name: string; body: string }>()
  try {
    return (await (budget ? budget.op(query) : query())).results
  } catch (e) {
    if (/no such table/i.test(e instanceof Error ? e.message : String(e))) return []
    throw e
  }
}

type Defaults = { everyMinutes: number; confirm: number; confirmOf?: number; confirmAfterMinutes?: number }
type EntryIssue = { path: PropertyKey[]; message: string }
type EntryResult = { monitor: Monitor; issues?: undefined } | { monitor?: undefined; issues: EntryIssue[] }

/**
 * Validates one target entry (a target file's content with an optional `monitor`): the same rules
 * wherever it comes from. `stored` adds the rule for targets kept in D1: no literal secret.
 */
export function validateEntry(entry: unknown, defaults: Defaults, options: { stored?: boolean } = {}): EntryResult {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return { issues: [{ path: [], message: 'must be a target object' }] }
  const { monitor, ...rest } = entry as Record<string, unknown>
  const target = TargetSchema.safeParse(rest)
  const m = MonitorSchema.safeParse(monitor ?? {})
  const issues: EntryIssue[] = [
    ...(target.success ? [] : flattenIssues(target.error.issues)),
    ...(target.success && options.stored ? literalSecretIssues(target.data) : []),
    ...(m.success ? [] : flattenIssues(m.error.issues).map((x) => ({ path: ['monitor', ...x.path], message: x.message }))),
  ]
  if (issues.length || !target.success || !m.success) return { issues }
  const confirm = m.data.confirm ?? defaults.confirm
  return {
    monitor: {
      target: target.data,
      everyMinutes: m.data.everyMinutes ?? defaults.everyMinutes,
      suites: m.data.suites,
      concurrency: m.data.concurrency,
      confirm,
      confirmOf: ruleOf({ confirm, of: m.data.confirmOf ?? defaults.confirmOf }).of,
      confirmAfterMinutes: m.data.confirmAfterMinutes ?? defaults.confirmAfterMinutes ?? 5,
    },
  }
}

const nameOf = (entry: unknown) => (entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string' ? (entry as { name: string }).name : undefined)
const at = (where: string, path: PropertyKey[]) => `${where}${path.length ? `.${path.map(String).join('.')}` : ''}`

/** A stored body (JSON text), validated as a stored target. */
function validateStored(body: string, defaults: Defaults): EntryResult {
  let entry: unknown
  try {
    entry = JSON.parse(body)
  } catch {
    return { issues: [{ path: [], message: 'its body is not JSON' }] }
  }
  return validateEntry(entry, defaults, { stored: true })
}

/** The stored targets (D1 rows), then the entries of `GRANTCHECK_TARGETS` whose names are not stored. */
export function mergeConfiguration(
  rows: ReadonlyArray<{ name: string; body: string }>,
  text: string | undefined,
  defaults: Defaults,
  validate: (body: string) => EntryResult = (body) => validateStored(body, defaults),
): Configuration {
  const monitors: Monitor[] = []
  const problems: ConfigProblem[] = []
  for (const row of rows) {
    const where = `targets["${row.name}"]`
    const v = validate(row.body)
    if (v.issues) for (const x of v.issues) problems.push({ where: at(where, x.path), name: row.name, message: x.message })
    else if (v.monitor.target.name !== row.name) problems.push({ where: `${where}.name`, name: row.name, message: `is "${v.monitor.target.name}", not the row's name` })
    else monitors.push(v.monitor)
  }
  const fallback = parseConfiguration(text, defaults, new Set(rows.map((r) => r.name)))
  return { monitors: [...monitors, ...fallback.monitors], problems: [...problems, ...fallback.problems] }
}

/** The entries of `GRANTCHECK_TARGETS`, a JSON array; one named in `stored` is reported and left out (the stored target is monitored). */
export function parseConfiguration(text: string | undefined, defaults: Defaults, stored: ReadonlySet<string> = new Set()): Configuration {
  let list: unknown
  try {
    list = JSON.parse(text ?? '[]')
  } catch {
    return { monitors: [], problems: [{ where: 'GRANTCHECK_TARGETS', message: 'is not JSON' }] }
  }
  if (!Array.isArray(list)) return { monitors: [], problems: [{ where: 'GRANTCHECK_TARGETS', message: 'must be a JSON array of targets' }] }
  const monitors: Monitor[] = []
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  list.forEach((entry, i) => {
    const where = `GRANTCHECK_TARGETS[${i}]`
    const name = nameOf(entry)
    const v = validateEntry(entry, defaults)
    if (v.issues) {
      for (const x of v.issues) problems.push({ where: at(where, x.path), name, message: x.message })
      return
    }
    const own = v.monitor.target.name
    if (seen.has(own)) {
      problems.push({ where: `${where}.name`, name, message: `"${own}" is already the name of an earlier entry` })
      return
    }
    seen.add(own)
    if (stored.has(own)) problems.push({ where: `${where}.name`, name, message: `"${own}" is also a stored target, which is monitored instead: remove it from GRANTCHECK_TARGETS` })
    else monitors.push(v.monitor)
  })
  return { monitors, problems }
}
