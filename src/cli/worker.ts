/**
 * `grantcheck worker push|export`: the targets a deployed Worker monitors, managed through its
 * admin API (src/worker/admin.ts). Every file is validated here first, as the Worker will (the
 * target schema, init placeholders, the `monitor` object, no literal secret), so a bad file costs
 * no request. The API token comes from an environment variable, never from the command line,
 * where the process list would show it.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { flattenIssues } from '../core/issues.ts'
import { formatPath, InputInvalidError, type InputIssue } from '../core/errors.ts'
import { displayPath, validateTarget } from '../node/files.ts'
import { plain } from '../reporters/plain.ts'
import { literalSecretIssues, MonitorSchema } from '../schema/monitor.ts'
import { EXIT, type Io } from './main.ts'
import { UsageError, type Parsed } from './usage.ts'

const DEFAULT_TOKEN_ENV = 'GRANTCHECK_API_TOKEN'

export async function workerCommand({ values, positionals }: Parsed<'worker'>, io: Io): Promise<number> {
  const [action, ...files] = positionals
  if (action !== 'push' && action !== 'export') throw new UsageError('give push or export', 'worker')
  const base = values.url?.replace(/\/+$/, '')
  if (!base || !/^https?:\/\//.test(base) || !URL.canParse(base)) throw new UsageError("--url must be the Worker's http(s) address", 'worker')
  const tokenEnv = values['token-env'] ?? DEFAULT_TOKEN_ENV
  const token = io.env[tokenEnv]
  if (!token) throw new UsageError(`the API token is read from the environment variable ${tokenEnv}, which is not set${values['token-env'] ? '' : ' (or name another with --token-env)'}`, 'worker')
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' }

  if (action === 'export') {
    if (files.length) throw new UsageError('export takes no files', 'worker')
    const res = await fetch(`${base}/api/admin/targets`, { headers })
    const body = (await res.json().catch(() => ({}))) as { targets?: unknown[]; error?: string }
    if (!res.ok || !Array.isArray(body.targets)) return refused(io, `GET /api/admin/targets: HTTP ${res.status}`, body)
    const text = `${JSON.stringify(body.targets, null, 2)}\n`
    if (values.output) {
      writeFileSync(resolve(values.output), text)
      io.out(`wrote ${body.targets.length} targets to ${displayPath(resolve(values.output))}`)
    } else io.out(text.trimEnd())
    return EXIT.ok
  }

  if (!files.length) throw new UsageError('push needs at least one TARGET.json', 'worker')
  let monitor: unknown
  if (values.monitor !== undefined) {
    try {
      monitor = JSON.parse(values.monitor)
    } catch {
      throw new UsageError('--monitor must be a JSON object, e.g. {"everyMinutes":60}', 'worker')
    }
  }
  // Every file is validated before the first request.
  const entries: Array<{ file: string; name: string; body: Record<string, unknown> }> = []
  let invalid = false
  for (const f of files) {
    try {
      entries.push(...entriesOf(resolve(f), monitor))
    } catch (e) {
      if (!(e instanceof InputInvalidError)) throw e
      invalid = true
      io.err(`grantcheck: ${plain(e.file)}: invalid (${e.code}), nothing was sent:`)
      for (const i of e.issues) io.err(`  ${i.path ? `${plain(i.path)}: ` : ''}${plain(i.message)}`)
    }
  }
  if (invalid) return EXIT.usage
  const twice = entries.find((e, i) => entries.findIndex((x) => x.name === e.name) !== i)
  if (twice) throw new UsageError(`the target "${twice.name}" is given twice`, 'worker')

  for (const e of entries) {
    const res = await fetch(`${base}/api/admin/targets/${encodeURIComponent(e.name)}`, {
      method: 'PUT',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(e.body),
    })
    const answer = (await res.json().catch(() => ({}))) as { created?: boolean; error?: string; issues?: Array<{ path: string; message: string }> }
    if (!res.ok) return refused(io, `${displayPath(e.file)}: PUT ${e.name}: HTTP ${res.status}`, answer)
    io.out(`${answer.created ? 'created' : 'replaced'} ${plain(e.name)} (${displayPath(e.file)})`)
  }
  io.out(`pushed ${entries.length} target${entries.length === 1 ? '' : 's'} to ${plain(base)}`)
  return EXIT.ok
}

function refused(io: Io, what: string, body: { error?: string; issues?: Array<{ index?: number; path: string; message: string }> }): number {
  io.err(`grantcheck: ${plain(what)}${body.error ? `: ${plain(body.error)}` : ''}`)
  for (const i of body.issues ?? []) io.err(`  ${i.path ? `${plain(i.path)}: ` : ''}${plain(i.message)}`)
  return EXIT.runtime
}

/**
 * The targets of one file as the Worker will take them: a target file, or a JSON array of them
 * (what export writes). Each target validated, its monitor (or --monitor), no literal secret.
 */
function entriesOf(file: string, monitor: unknown): Array<{ file: string; name: string; body: Record<string, unknown> }> {
  const shown = displayPath(file)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON: ${(e as Error).message}`
    throw new InputInvalidError('CC_TARGET_INVALID', shown, [{ path: '', message: reason }])
  }
  const list = Array.isArray(data) ? data.map((entry, i) => [entry, `[${i}]`] as const) : [[data, ''] as const]
  const issues: InputIssue[] = []
  const entries = list.flatMap(([entry, at]) => {
    const own = check(entry, monitor, shown)
    if ('issues' in own) {
      issues.push(...own.issues.map((i) => ({ ...i, path: i.path ? `${at}${at && !i.path.startsWith('[') ? '.' : ''}${i.path}` : at })))
      return []
    }
    return [{ file, ...own }]
  })
  if (issues.length) throw new InputInvalidError('CC_TARGET_INVALID', shown, issues)
  return entries
}

function check(data: unknown, monitor: unknown, shown: string): { issues: InputIssue[] } | { name: string; body: Record<string, unknown> } {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { issues: [{ path: '', message: 'must be a target object' }] }
  const { monitor: own, $schema: _schema, ...rest } = data as Record<string, unknown>
  const issues: InputIssue[] = []
  let name = ''
  try {
    const target = validateTarget(rest, shown)
    name = target.name
    issues.push(...literalSecretIssues(target).map((i) => ({ path: formatPath(i.path), message: i.message })))
  } catch (e) {
    if (!(e instanceof InputInvalidError)) throw e
    issues.push(...e.issues)
  }
  const m = MonitorSchema.safeParse(own ?? monitor ?? {})
  if (!m.success) issues.push(...flattenIssues(m.error.issues).map((i) => ({ path: formatPath(['monitor', ...i.path]), message: i.message })))
  if (issues.length) return { issues }
  return { name, body: { ...rest, ...((own ?? monitor) ? { monitor: own ?? monitor } : {}) } }
}
