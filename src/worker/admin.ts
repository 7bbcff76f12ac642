/**
 * The targets as data the operator manages: an admin API over the `targets` table, for the run
 * role only (API_TOKEN, or an Access runner; a browser session also needs its CSRF token, checked
 * before these routes). Mounted under /api/admin by index.ts, after authentication.
 *
 * - `GET /targets`: every stored target's body (secrets are references: nothing to hide).
 * - `PUT /targets/<name>`: creates or replaces one; 400 with each bad field named.
 * - `DELETE /targets/<name>`.
 * - `POST /targets/import`: a JSON array, validated whole before anything is written, then written
 *   in one D1 batch (a transaction): all or nothing.
 *
 * Each body is validated with the rules the configuration applies when it reads it back
 * (validateEntry), plus one: no literal secret, whatever the host.
 */
import { Hono, type Context } from 'hono'
import type { Identity } from './auth.ts'
import { forgetConfiguration, settings, validateEntry } from './config.ts'
import type { Env } from './env.ts'
import type { Store } from './store.ts'

/** One target: a few KB (several clients, scopes, certificates as PEM); 64 KB is room to spare. */
const MAX_TARGET_BYTES = 64 * 1024
/** An import: a hundred targets of a few KB each fit in a few hundred KB. */
const MAX_IMPORT_BYTES = 1024 * 1024
const MAX_IMPORT_TARGETS = 200

type Vars = { identity: Identity; store: Store }
type AdminContext = Context<{ Bindings: Env; Variables: Vars }>

interface AdminIssue {
  /** The entry's index, in an import. */
  index?: number
  /** The field, as a dotted path (`clients.primary.clientSecret`); empty for the whole entry. */
  path: string
  message: string
}

export const admin = new Hono<{ Bindings: Env; Variables: Vars }>()

admin.use('*', async (c, next) => {
  if (c.get('identity').role !== 'run') return c.json({ error: 'your role is read-only: managing targets needs the run role' }, 403)
  return next()
})

/** The body as JSON, refused beyond `limit` bytes (by its Content-Length, then by what arrived). */
async function jsonBody(c: AdminContext, limit: number): Promise<{ value: unknown } | { response: Response }> {
  const length = Number(c.req.header('content-length') ?? '0')
  const tooBig = () => ({ response: c.json({ error: `the body is limited to ${limit} bytes` }, 413) })
  if (length > limit) return tooBig()
  const text = await c.req.text()
  if (new TextEncoder().encode(text).length > limit) return tooBig()
  try {
    return { value: JSON.parse(text) }
  } catch {
    return { response: c.json({ error: 'the body must be JSON' }, 400) }
  }
}

const pathOf = (path: PropertyKey[]) => path.map(String).join('.')

/** The issues of one entry, or the body to store (as given, without `$schema`). */
function check(entry: unknown, env: Env): { issues: AdminIssue[] } | { name: string; body: string } {
  const v = validateEntry(entry, settings(env), { stored: true })
  if (v.issues) return { issues: v.issues.map((i) => ({ path: pathOf(i.path), message: i.message })) }
  const { $schema: _schema, ...rest } = entry as Record<string, unknown>
  const body = JSON.stringify(rest)
  if (new TextEncoder().encode(body).length > MAX_TARGET_BYTES) return { issues: [{ path: '', message: `a target is limited to ${MAX_TARGET_BYTES} bytes` }] }
  return { name: v.monitor.target.name, body }
}

const UPSERT = 'INSERT INTO targets (name, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at'

admin.get('/targets', async (c) => {
  const store = c.get('store')
  await store.ready()
  const { results } = await store.budget.op(() => c.env.DB.prepare('SELECT body FROM targets ORDER BY name').all<{ body: string }>())
  return c.json({ targets: results.map((r) => JSON.parse(r.body) as unknown) })
})

admin.post('/targets/import', async (c) => {
  const body = await jsonBody(c, MAX_IMPORT_BYTES)
  if ('response' in body) return body.response
  if (!Array.isArray(body.value)) return c.json({ error: 'an import is a JSON array of targets' }, 400)
  if (body.value.length > MAX_IMPORT_TARGETS) return c.json({ error: `an import is limited to ${MAX_IMPORT_TARGETS} targets` }, 413)
  const issues: AdminIssue[] = []
  const rows: Array<{ name: string; body: string }> = []
  const seen = new Map<string, number>()
  body.value.forEach((entry, index) => {
    const r = check(entry, c.env)
    if ('issues' in r) issues.push(...r.issues.map((i) => ({ index, ...i })))
    else if (seen.has(r.name)) issues.push({ index, path: 'name', message: `"${r.name}" is already the name of entry ${seen.get(r.name)}` })
    else {
      seen.set(r.name, index)
      rows.push(r)
    }
  })
  if (issues.length) return c.json({ error: `nothing was imported: ${new Set(issues.map((i) => i.index)).size} of ${body.value.length} targets are invalid`, issues }, 400)
  const store = c.get('store')
  await store.ready()
  const at = new Date().toISOString()
  if (rows.length) await store.budget.op(() => c.env.DB.batch(rows.map((r) => c.env.DB.prepare(UPSERT).bind(r.name, r.body, at))))
  forgetConfiguration()
  return c.json({ imported: rows.map((r) => r.name), updatedAt: at })
})

admin.put('/targets/:name', async (c) => {
  const name = c.req.param('name')
  const body = await jsonBody(c, MAX_TARGET_BYTES)
  if ('response' in body) return body.response
  const value = body.value
  // The path names the target; a body may leave its name out, but may not name another.
  const entry = value && typeof value === 'object' && !Array.isArray(value) && !('name' in value) ? { name, ...value } : value
  const r = check(entry, c.env)
  if ('issues' in r) return c.json({ error: `invalid target "${name}": nothing was stored`, issues: r.issues }, 400)
  if (r.name !== name) return c.json({ error: 'the name in the body is not the name in the path', issues: [{ path: 'name', message: `is "${r.name}", the path names "${name}"` }] }, 400)
  const store = c.get('store')
  await store.ready()
  const at = new Date().toISOString()
  const db = c.env.DB
  const [before] = await store.budget.op(() => db.batch([db.prepare('SELECT 1 AS found FROM targets WHERE name = ?').bind(name), db.prepare(UPSERT).bind(name, r.body, at)]))
  forgetConfiguration()
  const created = !before?.results.length
  return c.json({ name, created, updatedAt: at }, created ? 201 : 200)
})

admin.delete('/targets/:name', async (c) => {
  const name = c.req.param('name')
  const store = c.get('store')
  await store.ready()
  const { meta } = await store.budget.op(() => c.env.DB.prepare('DELETE FROM targets WHERE name = ?').bind(name).run())
  forgetConfiguration()
  if (!meta.changes) return c.json({ error: `"${name}" is not a stored target` }, 404)
  return c.json({ deleted: name })
})
