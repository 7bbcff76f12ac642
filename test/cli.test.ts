/**
 * The command line end to end: exit codes, config and suite errors that name file, line and
 * field, and nothing sent when the input is bad.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { closedUrl, listen, type RunningServer } from '../fixtures/serve.ts'
import { main, type Io } from '../src/cli/main.ts'
import { writeReport } from '../src/node/write-report.ts'
import type { Report } from '../src/schema/report.ts'
import { FIXTURE_SECRETS } from '../src/reference-server/clients.ts'

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
    expect(report).toMatchObject({ format: 'grantcheck-report', version: 2 })
    expect(report.targets[0].cases.map((c: { id: string }) => c.id)).toEqual(['scope-valid', 'scope-multiple', 'scope-order', 'scope-omitted', 'scope-unknown', 'scope-restricted', 'scope-narrowed'])
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
    const suite = `version: 2\nid: mine\ntitle: Mine\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect:\n      - check: token-response.has-acess-token\n`
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
    await expectUsageError(['run', '--target', t, '--suite', file('syntax.yaml', 'version: 2\ncases: [\n')], env, 'syntax.yaml', /line \d/)
    const badReq = `version: 2\nid: a\ntitle: A\ncases:\n  - id: one\n    title: One\n    requirements: [RFC-6749]\n    level: MUST\n    expect: [{ check: response.observe }]\n`
    await expectUsageError(['run', '--target', t, '--suite', file('req.yaml', badReq)], env, 'cases[0].requirements[0]', 'line 7')
    const badArgs = `version: 2\nid: b\ntitle: B\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect:\n      - check: response.status-in\n        args: { in: [ok] }\n`
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
    const suite = `version: 2\nid: d\ntitle: D\ncases:\n  - id: one\n    title: One\n    requirements: [RFC6749-5.1]\n    level: MUST\n    expect:\n      - check: response.observe\n      - check: response.observe\n`
    const code = await main(['run', '--target', file('ok5.json', JSON.stringify(target())), '--suite', file('dup.yaml', suite)], io)
    expect(code).toBe(2)
    expect(io.stderr.join('\n')).toMatch(/line 11: cases\[0\]\.expect\[1\]: "response.observe" is already called/)
  })
})

describe('CI flows: baseline, accepted deviations, strict, report and compare', () => {
  const env = { CLI_PRIMARY_SECRET: FIXTURE_SECRETS.primary }
  /** Runs the CLI; `folder` is the run folder this command says it wrote, if it wrote one. */
  async function run(args: string[], e: Record<string, string> = env) {
    const io = captureIo(e)
    const code = await main(args, io)
    const out = io.stdout.join('\n')
    const written = /(?:Report|targets): (\S+)\/report\.html/.exec(out)
    return { code, out, err: io.stderr.join('\n'), folder: written ? resolve(written[1]!) : undefined }
  }
  /** The run folder a command said it wrote: a command that wrote none fails the test here. */
  function folderOf(r: { folder?: string; out: string; err: string }): string {
    if (!r.folder) throw new Error(`the command wrote no report:\n${r.out}\n${r.err}`)
    return r.folder
  }

  it('writes junit.xml and summary.md beside the report, and re-renders a saved report', async () => {
    const out = join(dir, 'out-formats')
    const first = await run(['run', '--target', file('f.json', JSON.stringify(target())), '--suite', 'scope', '--out', out])
    expect(first.code).toBe(0)
    const folder = folderOf(first)
    expect(folder.startsWith(out)).toBe(true)
    expect(readFileSync(join(folder, 'junit.xml'), 'utf8')).toMatch(/^<\?xml[\s\S]*<testsuite name="cli-test \/ scope"/)
    expect(readFileSync(join(folder, 'summary.md'), 'utf8')).toContain('| cli-test | 5 | 0 |')
    const md = await run(['report', join(folder, 'report.json'), '--format', 'md'])
    expect(md.out).toBe(readFileSync(join(folder, 'summary.md'), 'utf8').replace(/\n$/, ''))
    const html = join(dir, 'again.html')
    await run(['report', join(folder, 'report.json'), '--format', 'html', '--output', html])
    expect(readFileSync(html, 'utf8')).toBe(readFileSync(join(folder, 'report.html'), 'utf8'))
    const json = join(dir, 'again.json')
    await run(['report', join(folder, 'report.json'), '--format', 'json', '--output', json])
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8')))
    const bad = await run(['report', file('not-a-report.json', '{"format":"x"}'), '--format', 'html'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/not-a-report\.json.*not a grantcheck report/s)
  })

  it('a rendering that fails part-way leaves no half-written file', async () => {
    const saved = JSON.parse(
      readFileSync(join(folderOf(await run(['run', '--target', file('r.json', JSON.stringify(target())), '--suite', 'scope', '--out', join(dir, 'out-render')])), 'report.json'), 'utf8'),
    ) as Report
    const cases = saved.targets[0]!.cases
    // The last case cannot be rendered (its requirements are indexable but not a list), after the
    // earlier ones were already written out.
    const unlisted = { 0: cases[0]!.requirements[0], length: 1 }
    const broken = { ...saved, runId: 'broken-run', targets: [{ ...saved.targets[0]!, cases: [...cases, ...cases, { ...cases[0]!, requirements: unlisted }] }] } as unknown as Report
    const out = join(dir, 'out-broken')
    await expect(writeReport(broken, out)).rejects.toThrow()
    expect(existsSync(join(out, 'broken-run', 'report.json'))).toBe(true)
    expect(existsSync(join(out, 'broken-run', 'report.html'))).toBe(false)
  })

  it('with a baseline fails only on new failures, and an accepted deviation does not fail at all', async () => {
    const out = join(dir, 'out-baseline')
    const good = file('g.json', JSON.stringify(target()))
    const baseline = join(folderOf(await run(['run', '--target', good, '--suite', 'scope', '--out', out])), 'report.json')
    // A wrong secret makes every case fail: all new against the baseline.
    const broken = await run(['run', '--target', good, '--suite', 'scope', '--out', out, '--baseline', baseline], { CLI_PRIMARY_SECRET: 'wrong' })
    expect(broken.code).toBe(1)
    expect(broken.out).toMatch(/CI gate: [1-9]\d* new failures/)
    const report = JSON.parse(readFileSync(join(folderOf(broken), 'report.json'), 'utf8'))
    expect(report.baseline.runId).toBe(JSON.parse(readFileSync(baseline, 'utf8')).runId)
    expect(report.targets[0].cases.find((c: { id: string }) => c.id === 'scope-valid').change).toBe('new-failure')
    // The same failures against that report as the baseline: still failing, nothing new.
    const again = await run(['run', '--target', good, '--suite', 'scope', '--out', out, '--baseline', join(folderOf(broken), 'report.json')], { CLI_PRIMARY_SECRET: 'wrong' })
    expect(again.code).toBe(0)
    expect(again.out).toContain('CI gate: 0 new failures')
    // Without a baseline, accepting every failing case passes the gate too.
    const failing = report.targets[0].cases.filter((c: { outcome: string }) => c.outcome === 'failed')
    const accept = file('accept.yaml', failing.map((c: { suite: string; id: string }) => `- case: ${c.suite}/${c.id}\n  target: cli-test\n  reason: accepted in the test\n`).join(''))
    const accepted = await run(['run', '--target', good, '--suite', 'scope', '--out', out, '--accept', accept], { CLI_PRIMARY_SECRET: 'wrong' })
    expect(accepted.code).toBe(0)
    expect(accepted.out).toContain(`${failing.length} accepted`)
  })

  it('refuses an accepted-deviations entry without a reason, naming the line', async () => {
    const r = await run(['run', '--target', file('h.json', JSON.stringify(target())), '--accept', file('noreason.yaml', '- case: scope/scope-valid\n  target: cli-test\n')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/noreason\.yaml[\s\S]*line 1: \[0\]\.reason/)
  })

  it('--strict fails on warnings, which otherwise pass', async () => {
    // issues-refresh-token breaks a SHOULD NOT (RFC 6749 §4.4.3): a warning.
    const warned = await listen((await createReferenceServer({ defects: ['issues-refresh-token'] })).fetch)
    try {
      const t = file('s.json', JSON.stringify(target({ issuer: warned.url })))
      const lenient = await run(['run', '--target', t, '--suite', 'token-response', '--out', join(dir, 'out-strict')])
      expect(lenient.code).toBe(0)
      expect(lenient.out).toContain('1 warning')
      const strict = await run(['run', '--target', t, '--suite', 'token-response', '--strict', '--out', join(dir, 'out-strict')])
      expect(strict.code).toBe(1)
      expect(strict.out).toContain('cli-test: token-response/token-response-members (warning)')
    } finally {
      await warned.close()
    }
  })

  it('compare merges reports into one matrix of their targets', async () => {
    const out = join(dir, 'out-compare')
    const t1 = file('c1.json', JSON.stringify(target({ name: 'tenant-one' })))
    const r1 = join(folderOf(await run(['run', '--target', t1, '--suite', 'scope', '--out', out])), 'report.json')
    const r2 = join(folderOf(await run(['run', '--target', t1, '--suite', 'scope', '--out', out], { CLI_PRIMARY_SECRET: 'wrong' })), 'report.json')
    expect(r2).not.toBe(r1)
    const cmp = await run(['compare', r1, r2, '--out', join(dir, 'out-matrix')])
    expect(cmp.code).toBe(0)
    const folder = folderOf(cmp)
    const matrix = JSON.parse(readFileSync(join(folder, 'matrix.json'), 'utf8'))
    expect(matrix.targets[0]).toBe('tenant-one')
    expect(matrix.targets[1]).toMatch(/^tenant-one \(/)
    expect(matrix.rows.find((r: { case: string }) => r.case === 'scope/scope-valid').cells.map((c: { outcome: string }) => c.outcome)).toEqual(['passed', 'failed'])
    expect(readFileSync(join(folder, 'report.html'), 'utf8')).toContain('where the targets differ')
  })
})

describe('bad profile references', () => {
  it('an unknown profile is a config error on the target\'s "profile" field, and nothing is sent', async () => {
    const io = captureIo({ CLI_PRIMARY_SECRET: 'x' })
    const before = requests
    const code = await main(['run', '--target', file('badprofile.json', JSON.stringify(target({ profile: 'ping-federate' })))], io)
    expect(code).toBe(2)
    expect(io.stderr.join('\n')).toMatch(/badprofile\.json[\s\S]*profile: unknown profile "ping-federate"; known: auth0, cognito/)
    expect(requests).toBe(before)
  })
})

describe('grantcheck demo', () => {
  it('runs the reference server over TLS with client certificates made for the run: the mutual-TLS cases are judged, not skipped', async () => {
    const io = captureIo()
    const out = join(dir, 'out-demo')
    const code = await main(['demo', '--suite', 'mtls', '--out', out], io)
    expect(code, io.stderr.join('\n')).toBe(0)
    expect(io.stdout[0]).toMatch(/^Reference server on https:\/\/127\.0\.0\.1:\d+ \(conformant\)/)
    const [run] = readdirSync(out)
    const report = JSON.parse(readFileSync(join(out, run!, 'report.json'), 'utf8')) as Report
    const cases = report.targets[0]!.cases
    expect(cases.map((c) => `${c.id}: ${c.outcome}`)).toEqual(cases.map((c) => `${c.id}: passed`))
    expect(cases).toHaveLength(9)
    // The key never reaches the report; the certificate is named, not written out.
    expect(JSON.stringify(report)).not.toContain('PRIVATE KEY')
  })

  it('fails the mutual-TLS case a defect breaks', async () => {
    const io = captureIo()
    const code = await main(['demo', '--suite', 'mtls', '--defect', 'mtls-any-certificate-accepted', '--out', join(dir, 'out-demo-defect')], io)
    expect(code).toBe(1)
    expect(io.stdout.join('\n')).toMatch(/✗ failed {2}mtls\/other-client-certificate/)
  })
})
