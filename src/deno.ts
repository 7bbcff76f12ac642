/**
 * grantcheck under Deno: the CLI's `run` command through Deno's Node compatibility, sending with
 * Deno's own fetch. The same options, built-in data (src/core/builtin.ts), report files and exit
 * codes as `grantcheck run`; only this file knows it is in Deno.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-net src/deno.ts --target FILE [--target FILE…]
 *     [--suite FILE|ID…] [--out DIR] [--baseline OLD.json] [--accept FILE] [--accept-known] [--strict]
 *     [--allow-errored] [--json]
 *
 * `--json` prints one JSON line per target ({ target, outcomes, cases }) on standard output and
 * moves the text summary to standard error.
 */
import { main, type Io } from './cli/main.ts'
import type { FetchLike } from './core/http.ts'
import type { Report } from './schema/report.ts'

declare const Deno: {
  args: string[]
  createHttpClient(options: { cert?: string; key?: string; caCerts?: string[] }): { close(): void }
  env: { toObject(): Record<string, string> }
  stdout: { isTerminal(): boolean }
  stderr: { isTerminal(): boolean; writeSync(bytes: Uint8Array): number }
  exit(code: number): never
}

const USAGE = `usage: deno run --allow-read --allow-write --allow-env --allow-net src/deno.ts --target FILE [--target FILE…]
  [--suite FILE|ID…] [--out DIR] [--baseline OLD.json] [--accept FILE] [--accept-known] [--strict] [--allow-errored] [--json]
Exit codes: 0 no MUST failed · 1 conformance failures · 2 usage or config error · 3 runtime error`

if (Deno.args.includes('--help') || Deno.args.includes('-h')) {
  console.log(USAGE)
  Deno.exit(0)
}

const json = Deno.args.includes('--json')
const env = Deno.env.toObject()
const encoder = new TextEncoder()

/** What --json prints for each target: its counts and every case's outcome by `suite/case`. */
function jsonLines(report: Report): string[] {
  return report.targets.map((t) => JSON.stringify({ target: t.name, outcomes: t.summary.outcomes, cases: Object.fromEntries(t.cases.map((c) => [`${c.suite}/${c.id}`, c.outcome])) }))
}

const io: Io = {
  // Under --json, standard output carries only the JSON.
  out: (line) => (json ? console.error(line) : console.log(line)),
  err: (line) => console.error(line),
  progress: Deno.stderr.isTerminal() ? (text) => void Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${text}`)) : undefined,
  env,
  color: !json && Deno.stdout.isTerminal() && !env.NO_COLOR,
  report: json ? (report) => jsonLines(report).forEach((l) => console.log(l)) : undefined,
  usage: USAGE,
}

/**
 * Deno's fetch, with TLS the target asks for: a client certificate (RFC 8705) and a private CA go
 * through an HTTP client of their own, one per certificate and CA, so a kept-alive connection
 * never carries one request's certificate to another.
 */
const clients = new Map<string, { close(): void }>()
const denoFetch: FetchLike = (url, init) => {
  const { tls, connectTimeoutMs: _connect, ...rest } = init
  const certificate = tls?.certificate
  if (certificate && !(certificate.certPem && certificate.keyPem)) return Promise.reject(new TypeError('Deno presents certificates from PEM, not through a Worker binding'))
  if (!certificate && !tls?.ca) return fetch(url, rest)
  const key = `${certificate?.id ?? ''}\u0000${tls?.ca ?? ''}`
  let client = clients.get(key)
  if (!client) {
    client = Deno.createHttpClient({ ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}), ...(tls?.ca ? { caCerts: [tls.ca] } : {}) })
    clients.set(key, client)
  }
  return fetch(url, { ...rest, client } as RequestInit)
}
denoFetch.clientCertificates = ['pem']

const code = await main(['run', ...Deno.args.filter((a) => a !== '--json')], io, denoFetch)
for (const client of clients.values()) client.close()
Deno.exit(code)
