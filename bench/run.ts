/**
 * npm run bench: how close a full run comes to the floor (the same token requests, sent raw),
 * where the time goes, and the CLI, memory, rendering and bundle figures the README quotes.
 * Prints a table and writes reports/bench/bench.json. Loopback only; every loop is bounded.
 */
import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { builtinSuiteFiles, loadSuiteFile, loadTargetFile, packageRoot } from '../src/node/files.ts'
import { createNodeTransport } from '../src/node/transport.ts'
import { mapPool, runPlan } from '../src/core/engine.ts'
import { mergeReports } from '../src/core/baseline.ts'
import type { FetchLike } from '../src/core/http.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { renderHtml } from '../src/reporters/html/index.ts'
import { renderJson } from '../src/reporters/json.ts'
import { TargetSchema, type TargetInput } from '../src/schema/target.ts'
import { measureHistory, printHistory, type HistoryFigures } from './worker-history.ts'
import { floorInWorkerd, runInWorkerd, startHarness, type RunAnswer } from './workerd.ts'

const REPEATS = 9
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=2'
const ROOT = packageRoot()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
const ms = (t0: number) => performance.now() - t0

const suites = builtinSuiteFiles().map(loadSuiteFile)
// The CLI's transport: what `grantcheck run` sends with.
const transport = createNodeTransport()
const reference = JSON.parse(readFileSync(join(ROOT, 'src/reference-server/reference-target.json'), 'utf8')) as TargetInput

/**
 * The floor: `n` plain client-credentials requests at `concurrency`, bodies read, nothing checked.
 * Measured with fetch (the issue's floor) and with the CLI's node:http transport, so the ratio
 * can be read both against raw fetch and against the same transport the run uses.
 */
async function floor(send: FetchLike, tokenEndpoint: string, clientId: string, secret: string, n: number, concurrency: number): Promise<number> {
  const headers: Array<[string, string]> = [
    ['Authorization', `Basic ${btoa(`${clientId}:${secret}`)}`],
    ['Content-Type', 'application/x-www-form-urlencoded'],
  ]
  const t0 = performance.now()
  await mapPool(Array.from({ length: n }), concurrency, async () => {
    const res = await send(tokenEndpoint, { method: 'POST', headers, body: 'grant_type=client_credentials&scope=read', redirect: 'manual', signal: new AbortController().signal })
    const reader = res.body!.getReader()
    while (!(await reader.read()).done);
  })
  return ms(t0)
}

async function measure(name: string, target: TargetInput, concurrency: number) {
  const rows: Array<Record<string, number>> = []
  // One discarded round first: it compiles the code paths and opens the connections both sides use.
  for (let i = -1; i < REPEATS; i++) {
    const resolved = resolveTarget(TargetSchema.parse({ ...target, limits: { concurrency } }), () => undefined, name)
    const metrics: Record<string, number> = {}
    const t0 = performance.now()
    const report = await runPlan([resolved], suites, { fetch: transport.fetch, now: Date.now, randomId: () => crypto.randomUUID().replace(/-/g, ''), toolVersion: 'bench', metrics })
    const full = ms(t0)
    const t = report.targets[0]!
    const primary = target.clients.primary!
    const floorMs = await floor(fetch, t.tokenEndpoint!, primary.clientId, primary.clientSecret as string, t.requests, concurrency)
    const nodeFloorMs = await floor(transport.fetch, t.tokenEndpoint!, primary.clientId, primary.clientSecret as string, t.requests, concurrency)
    const r0 = performance.now()
    renderJson(report)
    renderHtml(report)
    if (i >= 0) rows.push({ full, floor: floorMs, ratio: full / floorMs, nodeFloor: nodeFloorMs, nodeRatio: full / nodeFloorMs, requests: t.requests, render: ms(r0), ...metrics })
  }
  const pick = (k: string) => rows.map((r) => r[k] ?? 0)
  return {
    name,
    concurrency,
    requests: rows[0]!.requests,
    wallMs: median(pick('full')),
    wallSpread: spread(pick('full')),
    floorMs: median(pick('floor')),
    ratio: median(pick('ratio')),
    ratioSpread: `${Math.min(...pick('ratio')).toFixed(2)}–${Math.max(...pick('ratio')).toFixed(2)}`,
    nodeFloorMs: median(pick('nodeFloor')),
    nodeRatio: median(pick('nodeRatio')),
    nodeRatioSpread: `${Math.min(...pick('nodeRatio')).toFixed(2)}–${Math.max(...pick('nodeRatio')).toFixed(2)}`,
    phases: Object.fromEntries(['discovery', 'request-latency', 'checks', 'jwt-verification'].map((p) => [p, median(pick(p))])),
    renderMs: median(pick('render')),
  }
}

/** Measured rounds of a full run in workerd, after the first run in a fresh isolate. */
const WORKERD_ROUNDS = 5
/** Fresh isolates started, each for one first run, so that the first run's figure has a median too. */
const WORKERD_ISOLATES = 3
/** The floor's requests are sent this many times over and its CPU divided: one floor is a few 10 ms ticks. */
const WORKERD_FLOOR_REPEATS = 5

/**
 * A full built-in run in workerd (the engine alone, bench/workerd-harness.ts), CPU read from
 * /proc: the first run in a fresh isolate, which also plans the suites and generates the stand-in
 * key a Worker keeps per isolate; then, in one isolate, measured rounds of a run followed by its
 * floor (the same number of token requests, sent raw from workerd).
 */
async function measureWorkerd(target: TargetInput, concurrency: number) {
  const first: Array<{ cpuMs: number; wallMs: number }> = []
  const rows: Array<Record<string, number>> = []
  let shape: Omit<RunAnswer, 'error' | 'tokenEndpoint'> | undefined
  const primary = target.clients.primary!
  for (let n = 0; n < WORKERD_ISOLATES; n++) {
    const mf = await startHarness(ROOT)
    try {
      for (let i = 0; i <= (n === 0 ? WORKERD_ROUNDS : 0); i++) {
        const run = await runInWorkerd(mf, { ...target, limits: { concurrency } })
        if (run.cpuMs === undefined) return undefined
        const { error: _, tokenEndpoint, ...rest } = run.answer
        shape = rest
        if (i === 0) {
          first.push({ cpuMs: run.cpuMs, wallMs: run.wallMs })
          continue
        }
        const authorization = `Basic ${btoa(`${primary.clientId}:${primary.clientSecret as string}`)}`
        const f = await floorInWorkerd(mf, { url: tokenEndpoint!, authorization, requests: run.answer.requests * WORKERD_FLOOR_REPEATS, concurrency })
        const floorCpuMs = f.cpuMs! / WORKERD_FLOOR_REPEATS
        rows.push({ cpuMs: run.cpuMs, wallMs: run.wallMs, floorCpuMs, ratio: run.cpuMs / Math.max(floorCpuMs, 1) })
      }
    } finally {
      await mf.dispose()
    }
  }
  const pick = (k: string) => rows.map((r) => r[k]!)
  return {
    ...shape!,
    concurrency,
    firstRun: { cpuMs: median(first.map((r) => r.cpuMs)), cpuSpread: spread(first.map((r) => r.cpuMs)), wallMs: median(first.map((r) => r.wallMs)), isolates: first.length },
    laterRuns: {
      cpuMs: median(pick('cpuMs')),
      cpuSpread: spread(pick('cpuMs')),
      wallMs: median(pick('wallMs')),
      wallSpread: spread(pick('wallMs')),
      floorCpuMs: median(pick('floorCpuMs')),
      floorCpuSpread: spread(pick('floorCpuMs')),
      ratio: median(pick('ratio')),
      rounds: rows.length,
    },
  }
}

/** Runs the CLI under GNU time: seconds to exit and peak RSS. */
async function cliCatching(args: string[], nodeOptions = ''): Promise<{ seconds: number; maxRssMb: number }> {
  const run = promisify(execFile)
  const env = { ...process.env, NODE_OPTIONS: nodeOptions }
  const stderr = await run('/usr/bin/time', ['-f', 'TIME %e %M', 'node', join(ROOT, 'dist/grantcheck.mjs'), ...args], { env }).then(
    (r) => r.stderr,
    (e: { stderr?: string }) => String(e.stderr),
  )
  const m = /TIME ([\d.]+) (\d+)/.exec(stderr)
  return m ? { seconds: Number(m[1]), maxRssMb: Number(m[2]) / 1024 } : { seconds: NaN, maxRssMb: NaN }
}

/** Starts bench/servers.ts as a child process and reads the addresses it prints. */
async function startServers() {
  const child = spawn(process.execPath, [join(ROOT, 'dist/bench-servers.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()
  const line = first.done ? undefined : (first.value as string)
  if (!line) throw new Error('the bench servers did not start')
  const { reference, oidcProvider, hostile, tlsStall } = JSON.parse(line) as { reference: string; oidcProvider: TargetInput; hostile: string; tlsStall: string }
  return { ref: { url: reference }, op: { target: oidcProvider }, hostile, tlsStall, close: () => new Promise((done) => child.once('exit', done).stdin!.end()) }
}

/**
 * The redactor's cost, apart from the network: every string of a run (the responses as received,
 * the report's texts) scrubbed twice, as the engine does (each case, then the target), by a
 * redactor that knows the run's secrets and every token it was issued.
 */
async function redaction(issuer: string) {
  const received: string[] = []
  const capture: FetchLike = async (url, init) => {
    const res = await transport.fetch(url, init)
    const reader = res.body!.getReader()
    const chunks: Uint8Array[] = []
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value)
    const text = Buffer.concat(chunks).toString('utf8')
    received.push(text)
    return { status: res.status, headers: res.headers, body: new Blob([text]).stream() }
  }
  const report = await runPlan([resolveTarget(TargetSchema.parse({ ...reference, issuer }), () => undefined, 'r')], suites, {
    fetch: capture,
    now: Date.now,
    randomId: () => crypto.randomUUID(),
    toolVersion: 'bench',
  })
  const texts: string[] = [...received]
  const collect = (v: unknown): void => {
    if (typeof v === 'string') texts.push(v)
    else if (Array.isArray(v)) v.forEach(collect)
    else if (v && typeof v === 'object') Object.values(v).forEach(collect)
  }
  collect(report)
  const tokens = received.flatMap((t) => {
    try {
      const j = JSON.parse(t) as { access_token?: unknown }
      return typeof j.access_token === 'string' ? [j.access_token] : []
    } catch {
      return []
    }
  })
  const times: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    const r = resolveTarget(TargetSchema.parse({ ...reference, issuer }), () => undefined, 'r').redactor
    for (const t of tokens) r.add(t, 'access token')
    const t0 = performance.now()
    for (let pass = 0; pass < 2; pass++) for (const t of texts) r.scrub(t)
    times.push(ms(t0))
  }
  return { ms: median(times), spread: spread(times), strings: texts.length, chars: texts.reduce((n, t) => n + t.length, 0), tokens: tokens.length }
}

/** The routes of a dead, dripping, stalling or throttling target: each must end within DEAD_TARGET_BOUND_S. */
const DEAD_ROUTES = ['never-answers', 'drip', 'discovery-never-answers', 'tls-stall', 'rate-limited-text']
/** 1.2 × the default request timeout (10 s) + 1 s: what a dead target may cost (docs/security.md). */
const DEAD_TARGET_BOUND_S = 13

/** The slowest and heaviest hostile routes, each through the CLI with default limits: seconds and peak RSS. */
async function hostileRoutes(hostileUrl: string, tlsStall: string, dir: string) {
  const routes = [...DEAD_ROUTES, 'hang-after-20', 'huge-claims', 'big-body', 'gzip-bomb', 'deep-jwt']
  const out: Record<string, { seconds: number; maxRssMb: number }> = {}
  for (const route of routes) {
    const f = join(dir, `hostile-${route}.json`)
    const issuer = route === 'tls-stall' ? tlsStall : `${hostileUrl}/r/${route}`
    writeFileSync(f, JSON.stringify({ ...reference, $schema: undefined, name: `hostile-${route}`, issuer }))
    out[route] = await cliCatching(['run', '--target', f, '--out', join(dir, 'hostile')])
  }
  return out
}

/** The workerd figures, as the bench prints them. */
function printWorkerd(w: Awaited<ReturnType<typeof measureWorkerd>>): void {
  if (!w) return console.log('\nworkerd: no CPU figures (they are read from Linux /proc)')
  const { firstRun: f, laterRuns: l } = w
  console.log(`\nfull run in workerd (${w.cases} cases, ${w.requests} requests, concurrency ${w.concurrency}; workerd CPU from /proc, in 10 ms ticks):`)
  console.log(`  first run in a fresh isolate: ${f.cpuMs.toFixed(0)} ms CPU (${f.cpuSpread} over ${f.isolates} isolates), ${f.wallMs.toFixed(0)} ms wall`)
  console.log(`  later runs: ${l.cpuMs.toFixed(0)} ms CPU (${l.cpuSpread} over ${l.rounds} runs), ${l.wallMs.toFixed(0)} ms wall (${l.wallSpread})`)
  console.log(
    `  floor (the same requests sent raw from workerd, ${WORKERD_FLOOR_REPEATS} times over, per run): ${l.floorCpuMs.toFixed(0)} ms CPU (${l.floorCpuSpread}); run / floor ${l.ratio.toFixed(2)}`,
  )
}

// `node dist/bench.mjs --workerd`: the workerd figures alone, printed, bench.json left as it is.
if (process.argv.includes('--workerd')) {
  const servers = await startServers()
  try {
    printWorkerd(await measureWorkerd({ ...reference, issuer: servers.ref.url }, 4))
  } finally {
    transport.close()
    await servers.close()
  }
  process.exit(0)
}

// `node dist/bench.mjs --worker-history`: the Worker's pages at 100 and 100,000 runs alone, printed
// and put into bench.json beside the figures already there.
if (process.argv.includes('--worker-history')) {
  const history = await measureHistory(ROOT, REPEATS)
  printHistory(history)
  const file = join(ROOT, 'reports/bench/bench.json')
  let previous: Record<string, unknown> = {}
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    // No bench.json yet: this run writes the first.
  }
  mkdirSync(join(ROOT, 'reports/bench'), { recursive: true })
  writeFileSync(file, `${JSON.stringify({ ...previous, workerHistory: { at: new Date().toISOString(), repeats: REPEATS, ...history } }, null, 2)}\n`)
  console.log('\nwrote workerHistory into reports/bench/bench.json')
  process.exit(0)
}

const results: Record<string, unknown> = {}
const servers = await startServers()
const { ref, op } = servers
try {
  const t0 = performance.now()
  for (let i = 0; i < REPEATS; i++) builtinSuiteFiles().map(loadSuiteFile)
  const loadMs = ms(t0) / REPEATS
  const runs = []
  for (const c of [1, 4, 8]) runs.push(await measure('reference', { ...reference, issuer: ref.url }, c))
  runs.push(await measure('oidc-provider', op.target, 4))
  results.runs = runs
  results.loadSuitesMs = loadMs
  results.workerd = await measureWorkerd({ ...reference, issuer: ref.url }, 4)

  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-bench-'))
  const targetFile = (name: string) => {
    const f = join(dir, `${name}.json`)
    writeFileSync(f, JSON.stringify({ ...reference, $schema: undefined, name, issuer: ref.url }))
    return f
  }
  loadTargetFile(targetFile('warm'))
  const starts = []
  for (let i = 0; i < 3; i++) starts.push(await cliCatching(['run', '--target', targetFile('reference'), '--out', join(dir, 'out')]))
  results.cliStartToExit = { seconds: median(starts.map((s) => s.seconds)), maxRssMb: median(starts.map((s) => s.maxRssMb)) }
  const ten = Array.from({ length: 10 }, (_, i) => ['--target', targetFile(`tenant-${i}`)]).flat()
  const tenRuns = async (nodeOptions: string) => {
    const runs = []
    for (let i = 0; i < 3; i++) runs.push(await cliCatching(['run', ...ten, '--out', join(dir, 'out10')], nodeOptions))
    return runs
  }
  const medianOf = (runs: Array<{ seconds: number; maxRssMb: number }>) => ({
    seconds: median(runs.map((r) => r.seconds)),
    maxRssMb: median(runs.map((r) => r.maxRssMb)),
    rssSpread: spread(runs.map((r) => r.maxRssMb)),
  })
  results.tenTargetRun = medianOf(await tenRuns(''))
  // V8's young generation grows to 32 MB over any run this long; capping it is the README's advice
  // for memory-tight runners.
  results.tenTargetRunSmallYoungGeneration = { nodeOptions: SMALL_YOUNG_GENERATION, ...medianOf(await tenRuns(SMALL_YOUNG_GENERATION)) }

  const one = await runPlan([resolveTarget(TargetSchema.parse({ ...reference, issuer: ref.url }), () => undefined, 'r')], suites, {
    fetch,
    now: Date.now,
    randomId: () => crypto.randomUUID(),
    toolVersion: 'bench',
  })
  const matrix = mergeReports(
    Array.from({ length: 10 }, (_, i) => ({ ...one, targets: one.targets.map((t) => ({ ...t, name: `tenant-${i}` })) })),
    'bench',
  )
  const renders = Array.from({ length: REPEATS }, () => {
    const r0 = performance.now()
    renderHtml(matrix)
    return ms(r0)
  })
  results.tenTargetHtml = { ms: median(renders), spread: spread(renders), bytes: renderHtml(matrix).length }
  results.workerBundleGzipBytes = gzipSync(readFileSync(join(ROOT, 'dist/worker.mjs'))).length
  results.redaction = await redaction(ref.url)
  results.hostile = await hostileRoutes(servers.hostile, servers.tlsStall, dir)
  results.workerHistory = await measureHistory(ROOT, REPEATS)
} finally {
  transport.close()
  await servers.close()
}

const runs = results.runs as Array<Awaited<ReturnType<typeof measure>>>
console.log(`\ngrantcheck benchmark (${REPEATS} repetitions, medians; spread min–max)\n`)
console.log('floor: the same token requests sent raw with fetch; node floor: sent raw with the node:http transport the CLI runs on\n')
console.log('target          conc  requests  wall ms (spread)   floor ms  ratio (spread)     node floor  ratio (spread)     discovery  requests*  checks  jwt-verify  render ms')
for (const r of runs)
  console.log(
    `${r.name.padEnd(15)} ${String(r.concurrency).padStart(4)}  ${String(r.requests).padStart(8)}  ${r.wallMs.toFixed(0).padStart(7)} (${r.wallSpread.padStart(9)})  ${r.floorMs.toFixed(0).padStart(8)}  ${r.ratio.toFixed(2).padStart(5)} (${r.ratioSpread})  ${r.nodeFloorMs.toFixed(0).padStart(10)}  ${r.nodeRatio.toFixed(2).padStart(5)} (${r.nodeRatioSpread})  ${r.phases.discovery!.toFixed(0).padStart(9)}  ${r.phases['request-latency']!.toFixed(0).padStart(9)}  ${r.phases.checks!.toFixed(0).padStart(6)}  ${r.phases['jwt-verification']!.toFixed(0).padStart(10)}  ${r.renderMs.toFixed(0).padStart(9)}`,
  )
console.log('* requests: summed latency of all requests (they overlap under concurrency)')
const c = results.cliStartToExit as { seconds: number; maxRssMb: number }
const t10 = results.tenTargetRun as { seconds: number; maxRssMb: number; rssSpread: string }
const t10small = results.tenTargetRunSmallYoungGeneration as typeof t10
const h = results.tenTargetHtml as { ms: number; spread: string; bytes: number }
printWorkerd(results.workerd as Awaited<ReturnType<typeof measureWorkerd>>)
console.log(`\nload and validate the built-in suites: ${(results.loadSuitesMs as number).toFixed(1)} ms`)
console.log(`CLI start to report written (${suites.reduce((n, x) => n + x.cases.length, 0)} cases, loopback): ${c.seconds.toFixed(2)} s, peak RSS ${c.maxRssMb.toFixed(0)} MB`)
console.log(`10-target run: ${t10.seconds.toFixed(2)} s, peak RSS ${t10.maxRssMb.toFixed(0)} MB (${t10.rssSpread} over 3 runs)`)
console.log(`10-target run, NODE_OPTIONS=${SMALL_YOUNG_GENERATION}: ${t10small.seconds.toFixed(2)} s, peak RSS ${t10small.maxRssMb.toFixed(0)} MB (${t10small.rssSpread})`)
console.log(`HTML of a 10-target matrix: ${h.ms.toFixed(0)} ms (${h.spread}), ${(h.bytes / 1e6).toFixed(1)} MB`)
console.log(`Worker bundle: ${((results.workerBundleGzipBytes as number) / 1024).toFixed(1)} KB gzipped`)
const red = results.redaction as { ms: number; spread: string; strings: number; chars: number; tokens: number }
console.log(`redaction of one run's strings, twice (${red.strings} strings, ${(red.chars / 1e6).toFixed(2)} M characters, ${red.tokens} tokens known): ${red.ms.toFixed(1)} ms (${red.spread})`)
console.log(`hostile routes through the CLI, default limits (seconds, peak RSS; a dead target's bound: ${DEAD_TARGET_BOUND_S} s):`)
for (const [route, r] of Object.entries(results.hostile as Record<string, { seconds: number; maxRssMb: number }>)) {
  const bound = DEAD_ROUTES.includes(route) ? (r.seconds <= DEAD_TARGET_BOUND_S ? '  within the bound' : '  OVER THE BOUND') : ''
  console.log(`  ${route.padEnd(24)} ${r.seconds.toFixed(1).padStart(5)} s  ${r.maxRssMb.toFixed(0).padStart(4)} MB${bound}`)
}
printHistory(results.workerHistory as HistoryFigures)
mkdirSync(join(ROOT, 'reports/bench'), { recursive: true })
writeFileSync(join(ROOT, 'reports/bench/bench.json'), `${JSON.stringify({ at: new Date().toISOString(), repeats: REPEATS, ...results }, null, 2)}\n`)
console.log('\nwrote reports/bench/bench.json')
