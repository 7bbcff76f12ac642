/**
 * Targets as data the operator manages (issue 25): fifty real-sized targets (several clients,
 * every secret a `{ "env": "VAR" }` reference, a monitor object; about 3 KB each, 150 KB in all,
 * thirty times what one Cloudflare variable holds) stored in D1 through the admin API and through
 * `grantcheck worker push`, listed, exported, replaced, deleted and run; rows written straight
 * into D1 read within the cache's 10 s; bad and literal-secret bodies refused with their field named; read-only, anonymous and CSRF-less callers refused. And
 * the committed wrangler.toml deploys (dry run) without any targets variable.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { main, type Io } from '../src/cli/main.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { referenceTarget, ROOT } from './_run.ts'
import { auth, d1, ORIGIN, READ_TOKEN, settled, TOKEN, worker } from './_worker.ts'

let server: RunningServer
let mf: Miniflare
let url: string
/** The Worker secrets the targets name, with their values (the reference server's clients). */
const secrets: Record<string, string> = {}
const dir = mkdtempSync(join(tmpdir(), 'grantcheck-targets-'))

/** A target as an operator would write it: the reference server's clients, secrets by name, a setup note, a monitor. */
function tenant(i: number): Record<string, unknown> {
  const t = referenceTarget(server.url)
  delete t.$schema
  const clients = Object.fromEntries(
    Object.entries(t.clients).map(([role, c]) => {
      const name = `REF_${role.toUpperCase()}_SECRET`
      const field = c.authMethod === 'private_key_jwt' ? 'privateJwk' : 'clientSecret'
      secrets[name] = c[field] as string
      return [
        role,
        { ...c, [field]: { env: name }, description: `the ${role} client of tenant ${i}, registered by the platform team for conformance monitoring; rotate with the tenant's secret policy` },
      ]
    }),
  )
  const name = `tenant-${String(i).padStart(2, '0')}`
  return {
    ...t,
    name,
    clients,
    $comment: `Tenant ${i}: created in the identity provider's admin console under Applications › Machine to machine. ${'Each client is a confidential client with the client credentials grant only; the scopes read and write are granted to the primary client, admin exists and is not. '.repeat(3)}`,
    monitor: { everyMinutes: 30 + i, suites: ['scope', 'token-response'], concurrency: 1, confirm: 1 },
  }
}

const put = (name: string, body: unknown, headers: Record<string, string> = auth) =>
  mf.dispatchFetch(`${ORIGIN}/api/admin/targets/${encodeURIComponent(name)}`, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
const getJson = async <T>(path: string, headers: Record<string, string> = auth) => (await (await mf.dispatchFetch(`${ORIGIN}${path}`, { headers })).json()) as T

beforeAll(async () => {
  server = await listen((await createReferenceServer()).fetch)
  tenant(0) // fills `secrets`
  mf = worker({ ...secrets }, { port: 0 })
  url = (await mf.ready).toString().replace(/\/$/, '')
})
afterAll(async () => {
  await mf?.dispose()
  await server?.close()
})

describe('fifty targets stored in D1 through the admin API', () => {
  const targets = () => Array.from({ length: 50 }, (_, i) => tenant(i))

  it('are created one by one, listed, monitored and exported as they were sent, with no secret in them', async () => {
    const all = targets()
    const sizes = all.map((t) => JSON.stringify(t).length)
    const started = performance.now()
    for (const t of all) {
      const res = await put(t.name as string, t)
      expect(res.status, await res.clone().text()).toBe(201)
    }
    const pushMs = performance.now() - started
    const loadStarted = performance.now()
    const listed = await getJson<{ targets: Array<{ name: string; monitor: { everyMinutes: number; suites: string[] } }>; problems: unknown[] }>('/api/targets')
    const loadMs = performance.now() - loadStarted
    console.log(
      `50 targets (${Math.min(...sizes)}–${Math.max(...sizes)} bytes each, ${sizes.reduce((a, b) => a + b, 0)} in all) pushed in ${pushMs.toFixed(0)} ms; GET /api/targets after the write (configuration read from D1, 50 validated) in ${loadMs.toFixed(0)} ms`,
    )
    expect(Math.min(...sizes)).toBeGreaterThan(2500)
    expect(listed.problems).toEqual([])
    expect(listed.targets.map((t) => t.name)).toEqual(all.map((t) => t.name))
    expect(listed.targets[7]!.monitor).toMatchObject({ everyMinutes: 37, suites: ['scope', 'token-response'] })
    const health = await mf.dispatchFetch(`${ORIGIN}/healthz`)
    expect(await health.json()).toEqual({ status: 'ok', targets: 50, problems: 0, overdue: 0 })

    const exported = await getJson<{ targets: unknown[] }>('/api/admin/targets')
    expect(exported.targets).toEqual(all)
    const text = JSON.stringify(exported)
    for (const [name, value] of Object.entries(secrets)) expect(text, name).not.toContain(value.slice(0, 12))
  })

  it('one is replaced (200, the new monitor in effect at once) and one deleted (then 404)', async () => {
    const t = { ...tenant(3), monitor: { everyMinutes: 5 } }
    const res = await put('tenant-03', t)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ name: 'tenant-03', created: false })
    const del = await mf.dispatchFetch(`${ORIGIN}/api/admin/targets/tenant-04`, { method: 'DELETE', headers: auth })
    expect(del.status).toBe(200)
    expect((await mf.dispatchFetch(`${ORIGIN}/api/admin/targets/tenant-04`, { method: 'DELETE', headers: auth })).status).toBe(404)
    const listed = await getJson<{ targets: Array<{ name: string; monitor: { everyMinutes: number; suites: null } }> }>('/api/targets')
    expect(listed.targets).toHaveLength(49)
    expect(listed.targets.find((x) => x.name === 'tenant-04')).toBeUndefined()
    expect(listed.targets.find((x) => x.name === 'tenant-03')!.monitor).toMatchObject({ everyMinutes: 5, suites: null })
  })

  it('a stored target runs: POST /api/runs is accepted and the run finishes with nothing failed or errored', async () => {
    const res = await mf.dispatchFetch(`${ORIGIN}/api/runs`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: 'tenant-07', suites: ['scope'] }),
    })
    expect(res.status).toBe(202)
    const { id } = (await res.json()) as { id: string }
    const runs = await settled(mf, 120_000)
    const run = runs.find((r) => r.id === id)!
    expect(run).toMatchObject({ status: 'done', target: 'tenant-07' })
    expect(run.counts!.passed).toBeGreaterThan(0)
    expect(run.counts!.failed).toBe(0)
    expect(run.counts!.errored).toBe(0)
  }, 150_000)

  it('refuses a bad target with its field named, and a literal secret even on loopback; nothing is stored', async () => {
    const bad = await put('tenant-90', { ...tenant(90), issuer: 'not a url', monitor: { everyMinutes: 0 } })
    expect(bad.status).toBe(400)
    const body = (await bad.json()) as { issues: Array<{ path: string; message: string }> }
    expect(body.issues.map((i) => i.path)).toEqual(['issuer', 'monitor.everyMinutes'])
    const literal = tenant(91) as { clients: Record<string, Record<string, unknown>> }
    literal.clients.primary!.clientSecret = secrets.REF_PRIMARY_SECRET
    const refused = await put('tenant-91', literal)
    expect(refused.status).toBe(400)
    const issues = ((await refused.json()) as { issues: Array<{ path: string; message: string }> }).issues
    expect(issues).toEqual([{ path: 'clients.primary.clientSecret', message: expect.stringContaining('{ "env": "VAR" }') }])
    const other = await put('tenant-92', { ...tenant(93) })
    expect(other.status).toBe(400)
    expect(((await other.json()) as { issues: Array<{ path: string }> }).issues[0]!.path).toBe('name')
    const big = await put('tenant-94', { ...tenant(94), $comment: 'x'.repeat(70_000) })
    expect(big.status).toBe(413)
    const stored = await getJson<{ targets: Array<{ name: string }> }>('/api/admin/targets')
    expect(stored.targets.map((t) => t.name).filter((n) => n >= 'tenant-90')).toEqual([])
  })

  it('imports all or nothing, naming each bad entry by index and field', async () => {
    const literal = tenant(81) as { clients: Record<string, Record<string, unknown>> }
    literal.clients.post!.clientSecret = 'literal'
    const post = (body: unknown) => mf.dispatchFetch(`${ORIGIN}/api/admin/targets/import`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    const refused = await post([tenant(80), literal, { ...tenant(82), scopes: {} }, tenant(80)])
    expect(refused.status).toBe(400)
    const { issues } = (await refused.json()) as { issues: Array<{ index: number; path: string }> }
    expect(issues.map((i) => `${i.index} ${i.path}`)).toEqual(['1 clients.post.clientSecret', '2 scopes.valid', '3 name'])
    expect((await getJson<{ targets: unknown[] }>('/api/admin/targets')).targets).toHaveLength(49)
    const ok = await post([tenant(80), tenant(81)])
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ imported: ['tenant-80', 'tenant-81'] })
    expect((await getJson<{ targets: unknown[] }>('/api/admin/targets')).targets).toHaveLength(51)
    expect((await post({ not: 'an array' })).status).toBe(400)
  })

  it('reads rows written straight into D1 (wrangler d1 execute) within 10 s; a bad one is a configuration problem naming its field', async () => {
    const literal = tenant(85) as { clients: Record<string, Record<string, unknown>> }
    literal.clients.primary!.clientSecret = 'literal'
    const at = new Date().toISOString()
    await d1(mf, 'INSERT INTO targets (name, body, updated_at) VALUES (?, ?, ?), (?, ?, ?)', 'tenant-84', JSON.stringify(tenant(84)), at, 'tenant-85', JSON.stringify(literal), at)
    await new Promise((r) => setTimeout(r, 10_500))
    const listed = await getJson<{ targets: Array<{ name: string }>; problems: Array<{ where: string; name: string }> }>('/api/targets')
    expect(listed.targets.map((t) => t.name)).toContain('tenant-84')
    expect(listed.targets.map((t) => t.name)).not.toContain('tenant-85')
    expect(listed.problems).toEqual([{ where: 'targets["tenant-85"].clients.primary.clientSecret', name: 'tenant-85', message: expect.stringContaining('no literal secret') }])
    const health = await mf.dispatchFetch(`${ORIGIN}/healthz`)
    expect(health.status).toBe(503)
    // Removed through the API: healthy again at once.
    expect((await mf.dispatchFetch(`${ORIGIN}/api/admin/targets/tenant-85`, { method: 'DELETE', headers: auth })).status).toBe(200)
    expect((await mf.dispatchFetch(`${ORIGIN}/healthz`)).status).toBe(200)
  }, 30_000)

  it('refuses anonymous callers (401), read-only ones (403), and a browser session without its CSRF token (403)', async () => {
    const read = { Authorization: `Bearer ${READ_TOKEN}` }
    const calls = (headers: Record<string, string>) => [
      mf.dispatchFetch(`${ORIGIN}/api/admin/targets`, { headers }),
      put('tenant-70', tenant(70), headers),
      mf.dispatchFetch(`${ORIGIN}/api/admin/targets/tenant-05`, { method: 'DELETE', headers }),
      mf.dispatchFetch(`${ORIGIN}/api/admin/targets/import`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '[]' }),
    ]
    expect((await Promise.all(calls({}))).map((r) => r.status)).toEqual([401, 401, 401, 401])
    expect((await Promise.all(calls(read))).map((r) => r.status)).toEqual([403, 403, 403, 403])
    const login = await mf.dispatchFetch(`${ORIGIN}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}`, redirect: 'manual' })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const session = { Cookie: cookie, Origin: ORIGIN }
    expect((await put('tenant-70', tenant(70), session)).status).toBe(403)
    expect((await mf.dispatchFetch(`${ORIGIN}/api/admin/targets`, { headers: { Cookie: cookie } })).status).toBe(200)
    expect((await getJson<{ targets: Array<{ name: string }> }>('/api/admin/targets')).targets.map((t) => t.name)).not.toContain('tenant-70')
  })
})

describe('grantcheck worker push and export, against the Worker on a local port', () => {
  async function cli(args: string[], env: Record<string, string | undefined> = { GRANTCHECK_API_TOKEN: TOKEN }) {
    const out: string[] = []
    const err: string[] = []
    const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env, color: false }
    const code = await main(args, io)
    return { code, out: out.join('\n'), err: err.join('\n') }
  }

  it('validates every file, then creates or replaces each; export prints what is stored', async () => {
    const files = [60, 61, 62].map((i) => {
      const file = join(dir, `tenant-${i}.json`)
      const { monitor: _monitor, ...t } = tenant(i)
      writeFileSync(file, JSON.stringify(i === 60 ? tenant(i) : t, null, 2))
      return file
    })
    const started = performance.now()
    const r = await cli(['worker', 'push', '--url', url, '--monitor', '{"everyMinutes":15}', ...files])
    console.log(`grantcheck worker push of 3 files: ${(performance.now() - started).toFixed(0)} ms`)
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain('created tenant-60')
    expect(r.out).toContain('pushed 3 targets')
    const again = await cli(['worker', 'push', '--url', url, files[0]!])
    expect(again.out).toContain('replaced tenant-60')
    const listed = await getJson<{ targets: Array<{ name: string; monitor: { everyMinutes: number } }> }>('/api/targets')
    expect(listed.targets.find((t) => t.name === 'tenant-60')!.monitor.everyMinutes).toBe(90)
    expect(listed.targets.find((t) => t.name === 'tenant-61')!.monitor.everyMinutes).toBe(15)

    const out = join(dir, 'export.json')
    const exported = await cli(['worker', 'export', '--url', url, '--output', out])
    expect(exported.code, exported.err).toBe(0)
    const all = JSON.parse(readFileSync(out, 'utf8')) as Array<{ name: string }>
    expect(all.map((t) => t.name)).toEqual(expect.arrayContaining(['tenant-00', 'tenant-60', 'tenant-61', 'tenant-62']))
    expect(all.find((t) => t.name === 'tenant-00')).toEqual(tenant(0))
    // What export writes, push takes back: every target replaced as it was.
    const back = await cli(['worker', 'push', '--url', url, out])
    expect(back.code, back.err).toBe(0)
    expect(back.out).toContain(`pushed ${all.length} targets`)
    expect(back.out).not.toContain('created ')
    expect(await getJson<{ targets: unknown[] }>('/api/admin/targets')).toEqual({ targets: all })
  })

  it('refuses a literal secret or a bad field before sending anything (exit 2), and a missing or wrong token', async () => {
    const literal = tenant(63) as { clients: Record<string, Record<string, unknown>>; monitor: unknown }
    literal.clients.primary!.clientSecret = 'literal'
    literal.monitor = { concurrency: 99 }
    const file = join(dir, 'literal.json')
    writeFileSync(file, JSON.stringify(literal))
    const good = join(dir, 'tenant-64.json')
    writeFileSync(good, JSON.stringify(tenant(64)))
    const list = join(dir, 'list.json')
    writeFileSync(list, JSON.stringify([tenant(65), { ...tenant(66), issuer: 'ftp://x' }]))
    const r = await cli(['worker', 'push', '--url', url, good, file, list])
    expect(r.code).toBe(2)
    expect(r.err).toContain('literal.json: invalid (CC_TARGET_INVALID), nothing was sent')
    expect(r.err).toContain('clients.primary.clientSecret: a stored target holds no literal secret')
    expect(r.err).toContain('monitor.concurrency')
    expect(r.err).toContain('list.json: invalid (CC_TARGET_INVALID), nothing was sent:\n  [1].issuer: ')
    expect((await getJson<{ targets: Array<{ name: string }> }>('/api/admin/targets')).targets.map((t) => t.name)).not.toContain('tenant-64')

    const none = await cli(['worker', 'push', '--url', url, good], {})
    expect(none.code).toBe(2)
    expect(none.err).toContain('GRANTCHECK_API_TOKEN')
    const wrong = await cli(['worker', 'push', '--url', url, '--token-env', 'MY_TOKEN', good], { MY_TOKEN: READ_TOKEN })
    expect(wrong.code).toBe(3)
    expect(wrong.err).toContain('HTTP 403')
  })
})

describe('the committed wrangler.toml', () => {
  it('deploys (wrangler deploy --dry-run) with no targets variable', () => {
    const out = mkdtempSync(join(tmpdir(), 'grantcheck-dry-run-'))
    const started = performance.now()
    const r = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
      timeout: 120_000,
    })
    console.log(`wrangler deploy --dry-run: ${(performance.now() - started).toFixed(0)} ms`)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('--dry-run: exiting now.')
    expect(r.stdout).not.toContain('GRANTCHECK_TARGETS')
    expect(r.stdout).toContain('env.DB (grantcheck)')
  }, 150_000)
})
