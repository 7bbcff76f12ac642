/**
 * The same product under Deno as under Node (same report, files and exit codes), and the Worker
 * as wrangler would deploy it.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main, type Io } from '../src/cli/main.ts'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { EMULATIONS } from '../src/reference-server/emulations.ts'
import type { Report } from '../src/schema/report.ts'
import type { TargetInput } from '../src/schema/target.ts'
import type { JWK } from 'jose'
import { closedUrl, listen, type RunningServer } from '../fixtures/serve.ts'
import { serverTls, testPki } from '../fixtures/mtls.ts'
import { outcomes, referenceTarget, ROOT, runAgainst } from './_run.ts'

const run = promisify(execFile)
const QUIET = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' }
const DENO_RUN = [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-read', '--allow-write', '--allow-env', '--allow-net', 'src/deno.ts'] as const
let server: RunningServer

const tempDir = (what: string) => mkdtempSync(join(tmpdir(), `grantcheck-${what}-`))

function targetFile(target: TargetInput): string {
  const file = join(tempDir('target'), 'target.json')
  writeFileSync(file, JSON.stringify(target))
  return file
}

/** src/deno.ts with these arguments: its exit code and output, whatever the code. */
async function deno(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, ...denoArgs] = DENO_RUN
  return run(command, [...denoArgs, ...args], { cwd: ROOT, env: QUIET }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}

/** The CLI's `run` in-process with the same arguments, quietly: its exit code. */
async function node(args: string[]): Promise<number> {
  const io: Io = { out: () => undefined, err: () => undefined, env: {}, color: false }
  return main(['run', ...args], io)
}

/** The one run folder written under `out`: its file names and its report. */
function runFolder(out: string): { files: string[]; report: Report } {
  const [dir, ...more] = readdirSync(out)
  expect(more).toEqual([])
  const files = readdirSync(join(out, dir!)).sort()
  return { files, report: JSON.parse(readFileSync(join(out, dir!, 'report.json'), 'utf8')) as Report }
}

/** What must be the same in both runtimes' reports: per case the outcome and the known label. */
function verdicts(report: Report) {
  return Object.fromEntries(report.targets.flatMap((t) => t.cases.map((c) => [`${t.name}: ${c.suite}/${c.id}`, { outcome: c.outcome, known: c.known }])))
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

beforeAll(async () => {
  // A defect on, so that there are failures and warnings for the two runtimes to agree on.
  server = await listen((await createReferenceServer({ defects: ['no-cache-headers', 'issues-refresh-token'] })).fetch)
})
afterAll(() => server?.close())

describe('Deno', () => {
  it('runs the built-in suites with the same verdict for every case as Node', async () => {
    const file = targetFile(referenceTarget(server.url))
    const started = performance.now()
    const fromDeno = JSON.parse((await deno(['--target', file, '--out', tempDir('deno'), '--json'])).stdout) as { outcomes: Record<string, number>; cases: Record<string, string> }
    console.log(`deno run: ${(performance.now() - started).toFixed(0)} ms`)
    const inNode = await runAgainst(referenceTarget(server.url))
    expect(fromDeno.cases).toEqual(outcomes(inNode))
    expect(fromDeno.outcomes).toEqual(inNode.targets[0]!.summary.outcomes)
    expect(fromDeno.outcomes.failed).toBeGreaterThan(0)
  }, 60_000)
})

describe('mutual TLS in Deno and in the Node CLI', () => {
  // The reference server over TLS with the test PKI; the target names its private CA and the two
  // certificate clients, literal PEM (a loopback target).
  let tls: RunningServer
  let tlsTarget: string
  beforeAll(async () => {
    const pki = await testPki()
    tls = await listen((await createReferenceServer({ selfSignedClientKey: pki.selfSigned.publicJwk as JWK })).fetch, 0, '127.0.0.1', serverTls(pki))
    tlsTarget = targetFile({
      ...referenceTarget(tls.url),
      caCertificates: pki.ca.certPem,
      clients: {
        ...referenceTarget(tls.url).clients,
        mtls: { clientId: 'grantcheck-mtls', authMethod: 'tls_client_auth', certificate: pki.mtlsClient.certPem, certificateKey: pki.mtlsClient.keyPem },
        mtlsSelfSigned: { clientId: 'grantcheck-mtls-self-signed', authMethod: 'self_signed_tls_client_auth', certificate: pki.selfSigned.certPem, certificateKey: pki.selfSigned.keyPem },
      },
    })
  })
  afterAll(() => tls?.close())

  it('presents the client certificates and trusts the private CA in both, with the same verdicts', async () => {
    const [nodeOut, denoOut] = [tempDir('node'), tempDir('deno')]
    const inNode = await node(['--target', tlsTarget, '--suite', 'mtls', '--out', nodeOut])
    const inDeno = await deno(['--target', tlsTarget, '--suite', 'mtls', '--out', denoOut])
    expect(inDeno.stderr).toBe('')
    const [fromNode, fromDeno] = [runFolder(nodeOut).report, runFolder(denoOut).report]
    expect(verdicts(fromDeno)).toEqual(verdicts(fromNode))
    // Every case ran (none skipped for want of a certificate) and passed against the conformant server.
    expect(new Set(fromDeno.targets[0]!.cases.map((c) => c.outcome))).toEqual(new Set(['passed']))
    expect(fromDeno.targets[0]!.cases.find((c) => c.id === 'bound-token')!.exchanges[0]!.request.certificate).toMatch(/x5t#S256 [\w-]{43}/)
    expect([inNode, inDeno.code]).toEqual([0, 0])
  }, 90_000)
})

describe('Deno and the Node CLI: the same product', () => {
  // The Okta emulation with the Okta profile: failures and warnings the profile documents, so
  // reports carry "known for Okta" labels for both runtimes to agree on.
  let okta: RunningServer
  let oktaTarget: string
  beforeAll(async () => {
    okta = await listen((await createReferenceServer({ defects: EMULATIONS.okta!.switches })).fetch)
    oktaTarget = targetFile({ ...referenceTarget(okta.url), ...EMULATIONS.okta!.target, name: 'okta' })
  })
  afterAll(() => okta?.close())

  it('gives the same report (outcomes, known labels, tool version), the same four files and the same exit code', async () => {
    const [nodeOut, denoOut] = [tempDir('node'), tempDir('deno')]
    const inNode = await node(['--target', oktaTarget, '--out', nodeOut])
    const inDeno = await deno(['--target', oktaTarget, '--out', denoOut])
    expect(inDeno.stderr).toBe('')
    const [fromNode, fromDeno] = [runFolder(nodeOut), runFolder(denoOut)]
    expect(fromDeno.files).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md'])
    expect(fromDeno.files).toEqual(fromNode.files)
    expect(verdicts(fromDeno.report)).toEqual(verdicts(fromNode.report))
    const known = fromDeno.report.targets[0]!.cases.filter((c) => c.known)
    expect(known.map((c) => `${c.suite}/${c.id}`)).toEqual(expect.arrayContaining(['scope/scope-restricted', 'jwt-access-token/jwt-at-typ']))
    expect(new Set(known.map((c) => c.known!.provider))).toEqual(new Set(['Okta (custom authorization server)']))
    expect(fromDeno.report.tool).toEqual({ name: 'grantcheck', version: PACKAGE_VERSION })
    expect(fromNode.report.tool).toEqual(fromDeno.report.tool)
    expect(fromDeno.report.targets[0]!.profile).toBe('okta')
    // Okta's documented failures are still RFC failures: 1, unless --accept-known.
    expect([inNode, inDeno.code]).toEqual([1, 1])
  }, 90_000)

  it('takes the gate options and built-in suite ids as the CLI does, with the same exit codes', async () => {
    // jwt-access-token alone: only (known) warnings, which fail under --strict; scope: only known failures.
    const runs = [
      [['--suite', 'jwt-access-token'], 0],
      [['--suite', 'jwt-access-token', '--strict'], 1],
      [['--suite', 'scope', '--accept-known'], 0],
    ] as const
    for (const [args, expected] of runs) {
      const inNode = await node(['--target', oktaTarget, '--out', tempDir('node'), ...args])
      const inDeno = await deno(['--target', oktaTarget, '--out', tempDir('deno'), ...args])
      expect([inNode, inDeno.code], args.join(' ')).toEqual([expected, expected])
    }
  }, 90_000)

  it('exits 3 for a target it cannot reach, as the CLI does, with the report written', async () => {
    const unreachable = targetFile(referenceTarget(await closedUrl()))
    const out = tempDir('deno')
    const inDeno = await deno(['--target', unreachable, '--suite', 'token-response', '--out', out])
    const inNode = await node(['--target', unreachable, '--suite', 'token-response', '--out', tempDir('node')])
    expect([inNode, inDeno.code]).toEqual([3, 3])
    const { report } = runFolder(out)
    expect(report.targets[0]!.error).toBeTruthy()
    expect(report.targets[0]!.cases.every((c) => c.outcome === 'errored')).toBe(true)
  }, 60_000)

  it('exits 2 for a usage or configuration error, as the CLI does, before sending anything', async () => {
    const unknownProfile = targetFile({ ...referenceTarget(okta.url), profile: 'ping-federate' })
    const cases: Array<[string[], RegExp]> = [
      [[], /--target FILE is required[\s\S]*src\/deno\.ts --target FILE/],
      [['--target', oktaTarget, '--no-such-option'], /no-such-option/],
      [['--target', oktaTarget, '--suite', 'no-such-suite'], /no built-in suite with this id/],
      [['--target', unknownProfile], /profile: unknown profile "ping-federate"/],
    ]
    for (const [args, message] of cases) {
      const out = tempDir('deno')
      const inDeno = await deno([...args, '--out', out])
      expect(inDeno.code, args.join(' ')).toBe(2)
      expect(inDeno.stderr).toMatch(message)
      expect(readdirSync(out)).toEqual([])
      expect(await node([...args, '--out', tempDir('node')]), args.join(' ')).toBe(2)
    }
  }, 60_000)
})

describe('wrangler', () => {
  it('bundles the Worker for deployment (deploy --dry-run), without nodejs_compat', async () => {
    const out = mkdtempSync(join(tmpdir(), 'grantcheck-wrangler-'))
    const { stdout, stderr } = await run(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], { cwd: ROOT, env: QUIET })
    const text = stdout + stderr
    expect(text).toContain('--dry-run: exiting now')
    expect(text).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/)
    console.log(text.match(/Total Upload: .*/)![0])
    expect(text).not.toMatch(/nodejs_compat/)
  }, 120_000)
})
