/**
 * What the Worker receives from the platform: its bindings. Secrets (client secrets, private
 * keys, the API tokens, the webhook and session keys) are Worker secrets; the targets are rows
 * of D1 that name those secrets (or, for a small deployment, a configuration variable). No secret
 * ever comes from a request.
 *
 * The Cloudflare types are written here, as far as the Worker uses them, instead of depending on
 * @cloudflare/workers-types: the project keeps its dependencies few.
 */

interface D1Result<T = Record<string, unknown>> {
  results: T[]
  /** `rows_read`: the rows the statement touched (D1 bills by it; the Worker reports it in Server-Timing). */
  meta: { changes?: number; rows_read?: number }
}
interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>
  first<T = Record<string, unknown>>(): Promise<T | null>
  run(): Promise<D1Result>
}
interface D1Database {
  prepare(sql: string): D1PreparedStatement
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>
  exec(sql: string): Promise<unknown>
}

interface R2Object {
  key: string
  uploaded: Date
  text(): Promise<string>
}
interface R2Bucket {
  put(key: string, value: string, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>
  get(key: string): Promise<R2Object | null>
  delete(keys: string | string[]): Promise<void>
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{ objects: Array<{ key: string; uploaded: Date }>; truncated: boolean; cursor?: string }>
}

interface Queue<Body> {
  send(body: Body, options?: { delaySeconds?: number }): Promise<void>
  sendBatch(messages: Iterable<{ body: Body; delaySeconds?: number }>): Promise<void>
}
export interface QueueMessage<Body> {
  id: string
  body: Body
  attempts: number
  ack(): void
  retry(options?: { delaySeconds?: number }): void
}
export interface MessageBatch<Body> {
  queue: string
  messages: ReadonlyArray<QueueMessage<Body>>
}

interface DurableObjectId {
  toString(): string
}
interface DurableObjectStub {
  fetch(input: string, init?: RequestInit): Promise<Response>
}
export interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): DurableObjectStub
}
interface DurableObjectStorage {
  get<T>(key: string): Promise<T | undefined>
  put<T>(key: string, value: T): Promise<void>
}
export interface DurableObjectState {
  storage: DurableObjectStorage
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

export interface Env {
  /** Runs, per-case results, case and target states, alerts, metadata snapshots. */
  DB: D1Database
  /** Full reports, one object per run (and per part while a run is assembled). */
  REPORTS: R2Bucket
  /** Work: run parts, run completions, webhook deliveries. */
  RUNS: Queue<WorkMessage>
  /** One object per target: runs against a tenant never overlap beyond its allowed concurrency. */
  GATE: DurableObjectNamespace
  /** Token with the run role, for the API and the login form (`wrangler secret put API_TOKEN`). */
  API_TOKEN?: string
  /** Token with the read-only role. Optional. */
  READ_TOKEN?: string
  /** Key for session cookies and CSRF tokens; by default derived from API_TOKEN. */
  SESSION_SECRET?: string
  /** Cloudflare Access: the team domain (https://<team>.cloudflareaccess.com) and the application's AUD tag. */
  ACCESS_TEAM_DOMAIN?: string
  ACCESS_AUD?: string
  /** Access identities (e-mail addresses, comma-separated) with the run role; the others read. */
  ACCESS_RUNNERS?: string
  /** Targets for a small deployment, besides those stored in D1: a JSON array of target files' contents, each with an optional "monitor". */
  GRANTCHECK_TARGETS?: string
  /** Where alerts go (a URL from configuration, never from a request), its HMAC key and format. */
  ALERT_WEBHOOK_URL?: string
  WEBHOOK_SECRET?: string
  /** json (default) or slack. */
  WEBHOOK_FORMAT?: string
  /** The Worker's public address, for links in alerts (https://grantcheck.example.workers.dev). */
  PUBLIC_URL?: string
  /** Fetch subrequests one invocation may make (Cloudflare: 50 on the free plan). */
  MAX_SUBREQUESTS?: string
  /** Re-runs of newly failing cases before an alert (default 1; 0 alerts at once). */
  CONFIRM_FAILURES?: string
  /** Observations a change is judged over, M of "N of M" (default N: every one must agree). */
  CONFIRM_OF?: string
  /** Minutes before a confirming run (default 5). */
  CONFIRM_AFTER_MINUTES?: string
  /** Days runs and reports are kept (default 90). */
  RETENTION_DAYS?: string
  /** Minutes between scheduled runs of a target that does not set its own (default 60). */
  DEFAULT_EVERY_MINUTES?: string
  /** "true" serves /badge/<target>.svg without authentication. */
  PUBLIC_BADGES?: string
  /** Manual runs one caller may start per target in RUN_LIMIT_MINUTES (default 5 in 60); a request merged into a pending run is not counted. */
  RUN_LIMIT?: string
  RUN_LIMIT_MINUTES?: string
  /** Pinged (GET) after each cron tick, so that an outside monitor notices when the Worker stops (a secret or a variable). */
  HEARTBEAT_URL?: string
  /** Every other binding: Worker secrets named by the targets' { "env": "VAR" } references. */
  [secret: string]: unknown
}

/** What the queue carries: a part of a run, the end of a run, or an alert to deliver. */
export type WorkMessage = { kind: 'part'; runId: string; target: string; part: number; cases: string[] } | { kind: 'finalize'; runId: string; target: string } | { kind: 'deliver'; alertId: string }
