/**
 * The configured targets and how each is monitored. `GRANTCHECK_TARGETS` is a JSON array of
 * target files' contents; each entry may add a `monitor` object (how often, which suites, how
 * many runs at once, how many confirmations before an alert). An entry that does not validate is
 * reported with its index and field, and the others run: one typo never stops the monitoring of
 * every tenant.
 */
import * as z from 'zod'
import { flattenIssues } from '../core/issues.ts'
import { TargetSchema, type Target } from '../schema/target.ts'
import type { Env } from './env.ts'

const MonitorSchema = z.strictObject({
  everyMinutes: z.int().min(1).max(10_080).optional().describe('minutes between scheduled runs (default DEFAULT_EVERY_MINUTES, else 60)'),
  suites: z
    .array(z.string().regex(/^[a-z0-9-]+$/))
    .min(1)
    .optional()
    .describe('built-in suite ids scheduled runs use (default: all)'),
  concurrency: z.int().min(1).max(8).default(1).describe('runs against this target at once, whatever triggered them'),
  confirm: z.int().min(0).max(3).optional().describe('re-runs of newly failing cases before an alert (default CONFIRM_FAILURES, else 1)'),
})

export interface Monitor {
  target: Target
  everyMinutes: number
  suites?: string[]
  concurrency: number
  confirm: number
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

const positiveInt = (value: unknown, fallback: number) => {
  const n = Number(value)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

/** Global settings with their defaults; a malformed value falls back (and is not a secret). */
export function settings(env: Env) {
  return {
    maxSubrequests: positiveInt(env.MAX_SUBREQUESTS, 1000),
    confirm: env.CONFIRM_FAILURES === undefined || env.CONFIRM_FAILURES === '' ? 1 : Math.min(3, Math.max(0, Math.trunc(Number(env.CONFIRM_FAILURES)) || 0)),
    retentionDays: positiveInt(env.RETENTION_DAYS, 90),
    everyMinutes: positiveInt(env.DEFAULT_EVERY_MINUTES, 60),
    publicBadges: env.PUBLIC_BADGES === 'true',
  }
}

let cached: { text: string | undefined; config: Configuration } | undefined

/** The monitors of the configuration, and what is wrong with the entries that are not. */
export function configuration(env: Env): Configuration {
  if (cached && cached.text === env.GRANTCHECK_TARGETS) return cached.config
  const config = parseConfiguration(env.GRANTCHECK_TARGETS, settings(env))
  cached = { text: env.GRANTCHECK_TARGETS, config }
  return config
}

export function parseConfiguration(text: string | undefined, defaults: { everyMinutes: number; confirm: number }): Configuration {
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
    const name = entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string' ? ((entry as { name: string }).name as string) : undefined
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ where, message: 'must be a target object' })
      return
    }
    const { monitor, ...rest } = entry as Record<string, unknown>
    const target = TargetSchema.safeParse(rest)
    const m = MonitorSchema.safeParse(monitor ?? {})
    const issues = [
      ...(target.success ? [] : flattenIssues(target.error.issues).map((x) => ({ path: x.path, message: x.message }))),
      ...(m.success ? [] : flattenIssues(m.error.issues).map((x) => ({ path: ['monitor', ...x.path], message: x.message }))),
    ]
    for (const x of issues) problems.push({ where: `${where}${x.path.length ? `.${x.path.join('.')}` : ''}`, name, message: x.message })
    if (!target.success || !m.success) return
    if (seen.has(target.data.name)) {
      problems.push({ where: `${where}.name`, name, message: `"${target.data.name}" is already the name of an earlier entry` })
      return
    }
    seen.add(target.data.name)
    monitors.push({
      target: target.data,
      everyMinutes: m.data.everyMinutes ?? defaults.everyMinutes,
      suites: m.data.suites,
      concurrency: m.data.concurrency,
      confirm: m.data.confirm ?? defaults.confirm,
    })
  })
  return { monitors, problems }
}
