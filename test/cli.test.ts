/**
 * The command line end to end: exit codes, config and suite errors that name file, line and
 * field, and nothing sent when the input is bad.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../fixtures/reference-server/app.ts'
import { closedUrl, listen, type RunningServer } from '../fixtures/serve.ts'
import { main, type Io } from '../src/cli/main.ts'
import { FIXTURE_SECRETS } from '../fixtures/reference-server/clients.ts'

function captureIo(env: Record<string, string> = {}): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env, color: false }
}

const dir = mkdtempSync(join(tmpdir(), 'grantcheck-cli-'))
function file(name: string, text: string): string {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

let server: RunningServer
let requests = 0
beforeAll(async () => {
  const app = await createReferenceServer()
  server = await listen((req) => {
    requests++
    return app.fetch(req)
  })
})
afterAll(() => server.close())

function target(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'cli-test',
    issuer: server.url,
    clients: {
      primary: { clientId: 'grantcheck-primary', authMethod: 'client_secret_basic', clientSecret: { env: 'CLI_PRIMARY_SECRET' } },
    },
    scopes: { valid: ['read', 'write'] },
    ...over,
  }
}

describe('grantcheck run', () => {
  it('writes report.json and report.html and exits 0 when no MUST fails', async () => {
    const io = captureIo({ CLI_PRIMARY_SECRET: FIXTURE_SECRETS.primary })
    const out = join(dir, 'out-ok')
    const code = await main(['run', '--target', file('ok.json', JSON.stringify(target())), '--suite', 'scope', '--out', out], io)
    expect(code).toBe(0)
    const [run] = readdirSync(out)
    const report = JSON.parse(readFileSync(join(out, run!, 'report.json'), 'utf8'))
    expect(report).toMatchObject({ format: 'grantcheck-report', version: 1 })
    expect(report.targets[0].cases.map((c: { id: string }) => c.id)).toEqual([
      'scope-valid', 'scope-multiple', 'scope-order', 'scope-omitted', 'scope-unknown', 'scope-restricted', 'scope-narrowed',
    ])
    expect(readFileSync(join(out, run!, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/)
    // The target names no restricted scope, so the two cases that need one are skipped, with why.
    expect(io.stdout.join('\n')).toContain('5 passed, 2 skipped')
    expect(io.stdout.join('\n')).toContain('scope/scope-restricted — the target names no restricted scope')
  })

  it('exits 1 when a MUST case fails (a wrong secret in the environment)', async () => {
    const io = captureIo({ CLI_PRIMARY_SECRET: 'not-the-secret' })
    const code = await main(['run', '--target', file('wrong.json', JSON.stringify(target())), '--suite', 'scope', '--out', join(dir, 'out-wrong')], io)
    expect(code).toBe(1)
  })

  it('exits 3 when the target cannot be reached', async () => {
    const io = captureIo({ CLI_PRIMARY_SECRET: 'x' })
    const code = await main(['run', '--target', file('down.json', JSON.stringify(target({ issuer: await closedUrl() }))), '--suite', 'scope', '--out', join(dir, 'out-down')], io)
    expect(code).toBe(3)
    expect(io.stdout.join('\n')).toContain('could not run: metadata discovery failed')
  })
})

describe('bad input exits 2, names the file, the line and the field, and sends nothing', () => {
  async function expectUsageError(args: string[], env: Record<string, string>, ...fragments: Array<string | RegExp>) {
    const before = requests
    const io = captureIo(env)
    const code = await main(args, io)
    const err = io.stderr.join('\n')
    expect(code, err).toBe(2)
    for (const f of fragments) expect(err).toMatch(f)
    expect(requests, 'no request may be sent').toBe(before)
    return err
  }

  it('a target field of the wrong kind', async () => {
    const t = JSON.stringify(target({ clients: { primary: { clientId: 'x', authMethod: 'magic', clientSecret: 's' } } }), null, 2)
    await expectUsageError(['run', '--target', file('bad-method.json', t)], {}, 'bad-method.json', 'clients.primary.authMethod', /line \d+/)
  })

  it('a target that is not JSON', async () => {
    await expectUsageError(['run', '--target', file('broken.json', '{\n  "name": "x",\n  oops\n}')], {}, 'broken.json', 'not valid JSON', 'line 3')
  })

  it('a literal secret for a host that is not loopback', async () => {
    const t = target({ issuer: 'https://tenant.example', clients: { primary: { clientId: 'x', authMethod: 'client_secret_basic', clientSecret: 'hunter22' } } })
    const err = await expectUsageError(['run', '--target', file('literal.json', JSON.stringify(t, null, 2))], {}, 'clients.primary.clientSecret', 'loopback')
    expect(err).not.toContain('hunter22')
  })

  it('a missing environment variable', async () => {
    await expectUsageError(['run', '--target', file('noenv.json', JSON.stringify(target()))], {}, 'noenv.json', 'clients.primary.clientSecret.env', 'CLI_PRIMARY_SECRET is not set')
  })

  it('a suite naming an unknown check', async () => {
    const suite = `version: 1\nid: mine\ntitle: Mine\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect:\n      - check: token-response.has-acess-token\n`
    await expectUsageError(
      ['run', '--target', file('ok2.json', JSON.stringify(target())), '--suite', file('typo.yaml', suite)],
      { CLI_PRIMARY_SECRET: 'x' },
      'typo.yaml',
      'cases[0].expect[0].check',
      'line 10',
      'unknown check "token-response.has-acess-token"',
    )
  })

  it('a suite with a YAML syntax error, a bad requirement id, or bad check arguments', async () => {
    const t = file('ok3.json', JSON.stringify(target()))
    const env = { CLI_PRIMARY_SECRET: 'x' }
    await expectUsageError(['run', '--target', t, '--suite', file('syntax.yaml', 'version: 1\ncases: [\n')], env, 'syntax.yaml', /line \d/)
    const badReq = `version: 1\nid: a\ntitle: A\ncases:\n  - id: one\n    title: One\n    requirements: [RFC-6749]\n    level: MUST\n    expect: [{ check: response.observe }]\n`
    await expectUsageError(['run', '--target', t, '--suite', file('req.yaml', badReq)], env, 'cases[0].requirements[0]', 'line 7')
    const badArgs = `version: 1\nid: b\ntitle: B\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect:\n      - check: response.status-in\n        args: { in: [ok] }\n`
    await expectUsageError(['run', '--target', t, '--suite', file('args.yaml', badArgs)], env, 'cases[0].expect[0].args.in[0]', 'line 11')
  })

  it('an unknown built-in suite id and a missing --target', async () => {
    await expectUsageError(['run', '--target', file('ok4.json', JSON.stringify(target())), '--suite', 'nope'], { CLI_PRIMARY_SECRET: 'x' }, 'no built-in suite')
    await expectUsageError(['run'], {}, '--target FILE is required')
  })
})

describe('suite validation', () => {
  it('rejects a check called twice with the same arguments in one case', async () => {
    const io = captureIo({ CLI_PRIMARY_SECRET: 'x' })
    const suite = `version: 1\nid: d\ntitle: D\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect:\n      - check: response.observe\n      - check: response.observe\n`
    const code = await main(['run', '--target', file('ok5.json', JSON.stringify(target())), '--suite', file('dup.yaml', suite)], io)
    expect(code).toBe(2)
    expect(io.stderr.join('\n')).toMatch(/line 11: cases\[0\]\.expect\[1\]: "response.observe" is already called/)
  })
})
