/**
 * The command line's manners: every command answers --help, an unknown option gets that
 * command's usage, a target fresh from `init` is refused before anything is sent, and an
 * unreachable target's shared error is printed once with its count.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedUrl, listen, type RunningServer } from '../fixtures/serve.ts'
import { main, type Io } from '../src/cli/main.ts'
import { COMMANDS } from '../src/cli/usage.ts'
import { builtinSuiteFiles, loadSuiteFile, loadTargetFile, profileFiles } from '../src/node/files.ts'
import type { FetchLike } from '../src/core/http.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { FIXTURE_SECRETS } from '../src/reference-server/clients.ts'
import { renderText } from '../src/reporters/text.ts'
import type { Report } from '../src/schema/report.ts'
import { ROOT } from './_run.ts'

const dir = mkdtempSync(join(tmpdir(), 'grantcheck-cli-help-'))

/** Runs the CLI in-process; `fetchImpl` (when given) records what a run would send. */
async function cli(args: string[], env: Record<string, string> = {}, fetchImpl?: FetchLike) {
  const out: string[] = []
  const err: string[] = []
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env, color: false }
  const code = await main(args, io, fetchImpl)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** Each command with the options its help must name: written out here, not read from the CLI's table. */
const OPTIONS: Record<string, string[]> = {
  run: ['--target FILE', '--suite FILE|ID', '--out DIR', '--baseline OLD.json', '--accept FILE', '--accept-known', '--strict', '--allow-errored'],
  report: ['--format html|junit|md|json|matrix', '--output FILE'],
  compare: ['--out DIR'],
  init: ['--provider NAME', '--output FILE', '--force'],
  demo: ['--defect NAME', '--suite FILE|ID', '--out DIR', '--emulations'],
  fixture: ['--port N', '--defect NAME'],
  worker: ['--url URL', '--token-env VAR', '--monitor JSON', '--output FILE'],
  generate: [],
  help: [],
}

describe('help for every command', () => {
  it('the CLI has exactly the commands this test knows', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(Object.keys(OPTIONS).sort())
  })

  it.each(Object.entries(OPTIONS))('%s --help and -h print its usage and options on stdout, exit 0, and do nothing else', async (name, options) => {
    for (const flag of ['--help', '-h']) {
      // Arguments that would make the command act (or fail) must not matter next to --help.
      const r = await cli([name, flag, ...(name === 'run' ? ['--target', join(dir, 'missing.json')] : [])])
      expect(r.code, r.err).toBe(0)
      expect(r.err).toBe('')
      expect(r.out).toMatch(new RegExp(`^Usage: grantcheck ${name}\\b`))
      expect(r.out).toContain('-h, --help')
      for (const o of options) expect(r.out, o).toContain(o)
      expect(r.out).not.toMatch(/^wrote /m)
    }
  })

  it('run, demo, init, report and compare --help list their exit codes', async () => {
    const run = (await cli(['run', '--help'])).out
    expect(run).toMatch(/Exit codes:\n {2}0 {2}no MUST-level case failed[\s\S]*\n {2}1 {2}conformance failures[\s\S]*\n {2}2 {2}usage or config error[\s\S]*\n {2}3 {2}runtime error/)
    for (const name of ['demo', 'init', 'report', 'compare']) expect((await cli([name, '--help'])).out, name).toContain('Exit codes:')
  })

  it('--help, -h and help print the overall usage naming every command; help COMMAND is COMMAND --help', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await cli(args)
      expect(r.code).toBe(0)
      for (const name of Object.keys(OPTIONS)) expect(r.out).toContain(`grantcheck ${name}`)
      expect(r.out).toContain('grantcheck COMMAND --help')
    }
    expect((await cli(['help', 'init'])).out).toBe((await cli(['init', '--help'])).out)
    const unknown = await cli(['help', 'nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain('unknown command "nope"')
  })

  it('init --help names every built-in provider', async () => {
    const help = (await cli(['init', '--help'])).out
    for (const id of profileFiles().keys()) expect(help, id).toContain(id)
  })

  it('grantcheck alone prints the overall usage and exits 2, as it always did', async () => {
    const r = await cli([])
    expect(r.code).toBe(2)
    expect(r.out).toContain('grantcheck run --target FILE')
  })

  it('--version and -v print the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    for (const flag of ['--version', '-v']) expect(await cli([flag])).toEqual({ code: 0, out: version, err: '' })
  })

  it.each(Object.keys(OPTIONS))('%s with an unknown option exits 2 with its own usage, not the whole usage', async (name) => {
    const r = await cli([name, '--no-such-option'])
    expect(r.code).toBe(2)
    expect(r.out).toBe('')
    expect(r.err).toContain("Unknown option '--no-such-option'")
    expect(r.err).toContain(`Usage: grantcheck ${name}`)
    for (const other of Object.keys(OPTIONS).filter((o) => o !== name)) expect(r.err).not.toContain(`grantcheck ${other} `)
  })

  it("a command-level usage error (a missing required option) also shows that command's usage", async () => {
    const r = await cli(['init'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/--provider must be one of .*okta/)
    expect(r.err).toContain('Usage: grantcheck init --provider NAME')
  })
})

describe('a target that still holds an init placeholder', () => {
  let recorder: RunningServer
  let received = 0
  beforeAll(async () => {
    recorder = await listen(() => {
      received++
      return new Response('{}', { headers: { 'content-type': 'application/json' } })
    })
  })
  afterAll(() => recorder.close())

  /** A fetch that records what it is asked to send and sends nothing. */
  function recordingFetch(): FetchLike & { calls: string[] } {
    const calls: string[] = []
    const f = (async (url: string | URL | Request) => {
      calls.push(String(url instanceof Request ? url.url : url))
      throw new Error('nothing may be sent')
    }) as unknown as FetchLike & { calls: string[] }
    f.calls = calls
    return f
  }

  const env = { OKTA_PRIMARY_SECRET: 's1', OKTA_POST_SECRET: 's2', OKTA_JWT_KEY: '{}' }

  it('init --provider okta, not edited: refused with exit 2, naming the file and each field, nothing sent', async () => {
    const file = join(dir, 'okta.target.json')
    expect((await cli(['init', '--provider', 'okta', '--output', file])).code).toBe(0)
    const fetchImpl = recordingFetch()
    const r = await cli(['run', '--target', file, '--out', join(dir, 'out-okta')], env, fetchImpl)
    expect(r.code, r.err).toBe(2)
    expect(r.err).toContain('okta.target.json: invalid (CC_TARGET_INVALID), nothing was sent')
    expect(r.err).toMatch(/line \d+: issuer: still holds the init placeholder DOMAIN: replace it with your Okta domain/)
    expect(r.err).toMatch(/line \d+: issuer: still holds the init placeholder AUTHSERVERID: replace it with the custom authorization server id/)
    expect(r.err).toMatch(/line \d+: clients\.primary\.clientId: still holds the init placeholder <primary client id>/)
    expect(r.err).toContain('clients.jwt.clientId')
    expect(fetchImpl.calls).toEqual([])
    expect(readdirSync(dir)).not.toContain('out-okta')
  })

  it.each(['auth0', 'cognito', 'entra', 'keycloak', 'oauth21', 'rfc6749'])('init --provider %s, not edited: refused, nothing sent', async (provider) => {
    const file = join(dir, `${provider}.target.json`)
    expect((await cli(['init', '--provider', provider, '--output', file])).code).toBe(0)
    const fetchImpl = recordingFetch()
    const r = await cli(['run', '--target', file], {}, fetchImpl)
    expect(r.code, r.err).toBe(2)
    expect(r.err).toMatch(/: still holds the init placeholder (https:\/\/)?[A-Z]/)
    expect(fetchImpl.calls).toEqual([])
  })

  it('one placeholder left in an otherwise edited target is refused, and no request reaches the server it names', async () => {
    const file = join(dir, 'half.json')
    await cli(['init', '--provider', 'okta', '--output', file])
    const t = JSON.parse(readFileSync(file, 'utf8'))
    // The domain now points at a live server on loopback; the authorization server id is left as written.
    t.issuer = t.issuer.replace('https://DOMAIN', recorder.url)
    for (const [role, c] of Object.entries(t.clients as Record<string, { clientId: string }>)) c.clientId = `0oa-${role}`
    writeFileSync(file, JSON.stringify(t, null, 2))
    const before = received
    const r = await cli(['run', '--target', file, '--suite', 'scope'], env)
    expect(r.code, r.err).toBe(2)
    expect(r.err).toMatch(/half\.json[\s\S]*issuer: still holds the init placeholder AUTHSERVERID/)
    expect(r.err).not.toContain('DOMAIN')
    expect(r.err).not.toContain('clientId')
    expect(received, 'no request may reach the server').toBe(before)
  })

  it('a fully edited template runs, and real URLs in capitals are not mistaken for placeholders', async () => {
    const server = await listen((await createReferenceServer()).fetch)
    try {
      const file = join(dir, 'edited.json')
      await cli(['init', '--provider', 'rfc6749', '--output', file])
      const t = JSON.parse(readFileSync(file, 'utf8'))
      t.issuer = server.url
      t.clients.primary.clientId = 'grantcheck-primary'
      t.clients.post.clientId = 'grantcheck-post'
      writeFileSync(file, JSON.stringify(t, null, 2))
      const r = await cli(['run', '--target', file, '--suite', 'scope', '--out', join(dir, 'out-edited')], { AS_PRIMARY_SECRET: FIXTURE_SECRETS.primary, AS_POST_SECRET: FIXTURE_SECRETS.post })
      expect(r.code, r.err).toBe(0)
      expect(r.out).toContain(`Target rfc6749 — ${server.url}/token`)
    } finally {
      await server.close()
    }
    // Capitals, names that are also placeholder words, and .example hosts that go on: all real.
    const real = {
      name: 'real',
      issuer: 'https://SSO.Example.COM/realms/Orders',
      tokenEndpoint: 'https://login.microsoftonline.com/Contoso.onmicrosoft.com/oauth2/v2.0/token',
      audience: 'https://API.example.com/',
      resource: 'https://orders.example.com/API/TENANT-1',
      clients: { primary: { clientId: '<primary>', authMethod: 'client_secret_basic', clientSecret: { env: 'S' } } },
      scopes: { valid: ['REALM', 'DOMAIN', 'https://orders.example.com/.default'] },
    }
    const file = join(dir, 'real.json')
    writeFileSync(file, JSON.stringify(real))
    expect(loadTargetFile(file).issuer).toBe(real.issuer)
  })
})

describe('an unreachable target', () => {
  /** Occurrences of `text` in `s`. */
  const count = (s: string, text: string) => s.split(text).length - 1

  it('prints the error its cases share once, with their count, in the summary and in the CI gate', async () => {
    const down = await closedUrl()
    const target = {
      name: 'down',
      issuer: down,
      tokenEndpoint: `${down}/token`,
      clients: { primary: { clientId: 'grantcheck-primary', authMethod: 'client_secret_basic', clientSecret: { env: 'DOWN_SECRET' } } },
      scopes: { valid: ['read', 'write'] },
    }
    const file = join(dir, 'down.json')
    writeFileSync(file, JSON.stringify(target))
    const out = join(dir, 'out-down')
    const r = await cli(['run', '--target', file, '--suite', 'request', '--suite', 'scope', '--suite', 'token-response', '--out', out, '--strict'], { DOWN_SECRET: 'x' })
    expect(r.code, r.err).toBe(3)
    const [run] = readdirSync(out)
    const report = JSON.parse(readFileSync(join(out, run!, 'report.json'), 'utf8')) as Report
    const errored = report.targets[0]!.cases.filter((c) => c.outcome === 'errored')
    // The JSON report keeps every case, each with its reason.
    expect(errored.every((c) => c.reason)).toBe(true)
    const byReason = new Map<string, string[]>()
    for (const c of errored) byReason.set(c.reason!, [...(byReason.get(c.reason!) ?? []), `${c.suite}/${c.id}`])
    const [shared, ids] = [...byReason].sort((a, b) => b[1].length - a[1].length)[0]!
    expect(ids.length).toBeGreaterThanOrEqual(10)
    expect(shared).toMatch(/ECONNREFUSED/)

    // Discovery met the refused connection before anything answered: the target was stopped
    // there, and every case shares that one reason, which says why they were not sent.
    expect(shared).toMatch(/^target unresponsive: no answer to its first request \(.*ECONNREFUSED/)
    const first = report.targets[0]!
    const all = errored.map((c) => `${c.suite}/${c.id}`)
    expect(byReason.size).toBe(1)
    const summary = r.out.slice(0, r.out.indexOf('\n\nReport: '))
    expect(summary).toContain(`  E errored ×${all.length} — ${shared}`)
    expect(count(summary, shared)).toBe(1)
    for (const id of all) expect(summary).not.toContain(id)
    expect(summary).toBe(renderText(report))
    // An error of its own keeps its own line.
    const [own] = all
    const apart = renderText({ ...report, targets: [{ ...first, cases: first.cases.map((c) => (`${c.suite}/${c.id}` === own ? { ...c, reason: 'TLS handshake failed' } : c)) }] })
    expect(apart).toContain(`E errored ${own} — TLS handshake failed`)
    expect(apart).toContain(`E errored ×${all.length - 1} — ${shared}`)

    // The CI gate (here under --strict) lists the errored cases it counts the same way.
    const gate = r.out.slice(r.out.indexOf('\nCI gate: '))
    expect(gate).toContain(`  down: errored ×${all.length} — ${shared}`)
    expect(count(gate, shared)).toBe(1)
    for (const id of all) expect(gate).not.toContain(id)

    // Failures and warnings keep a line each, even when they share a reason.
    const [failedId, warnedId] = ids
    const outcomeOf = (id: string) => (id === failedId ? ('failed' as const) : id === warnedId ? ('warning' as const) : undefined)
    const judged: Report = {
      ...report,
      targets: [{ ...first, cases: first.cases.map((c) => ({ ...c, outcome: outcomeOf(`${c.suite}/${c.id}`) ?? c.outcome })) }],
    }
    const text = renderText(judged)
    expect(text).toContain(`✗ failed  ${failedId} — ${shared}`)
    expect(text).toContain(`! warning ${warnedId} — ${shared}`)
    expect(text).toContain(`E errored ×${all.length - 2} — ${shared}`)
  })

  it('a target that could not run at all: the reason once, then its cases counted', async () => {
    const down = await closedUrl()
    const target = { name: 'nodisc', issuer: down, clients: { primary: { clientId: 'a', authMethod: 'client_secret_basic', clientSecret: { env: 'DOWN_SECRET' } } }, scopes: { valid: ['read'] } }
    const file = join(dir, 'nodisc.json')
    writeFileSync(file, JSON.stringify(target))
    const r = await cli(['run', '--target', file, '--suite', 'scope', '--suite', 'token-response', '--out', join(dir, 'out-nodisc')], { DOWN_SECRET: 'x' })
    expect(r.code).toBe(3)
    const reason = /could not run: (.*)/.exec(r.out)?.[1]
    expect(reason).toMatch(/^metadata discovery failed: /)
    expect(count(r.out, reason!)).toBe(1)
    const cases = builtinSuiteFiles()
      .map(loadSuiteFile)
      .filter((s) => ['scope', 'token-response'].includes(s.suite.id))
      .reduce((n, s) => n + s.cases.length, 0)
    expect(r.out).toContain(`  E errored ×${cases} — the reason above`)
  })
})
