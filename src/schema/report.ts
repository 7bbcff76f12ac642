/**
 * The report: the canonical artifact of a run. Every other format is a view of it.
 *
 * Everything in it has already been redacted: it may be written, stored and shared.
 *
 * @module
 */
import * as z from 'zod'
import { LEVELS } from './expect.ts'

export const REPORT_FORMAT = 'grantcheck-report'
/** 2: headers are [name, value] pairs (version 1 kept them in an object, where a header named __proto__ vanished). */
export const REPORT_VERSION = 2

export const OUTCOMES = ['passed', 'failed', 'warning', 'info', 'skipped', 'errored'] as const
export type Outcome = (typeof OUTCOMES)[number]

const OutcomeCountsSchema = z.record(z.enum(OUTCOMES), z.int().min(0))
export type OutcomeCounts = Record<Outcome, number>

/** How a case's verdict moved against a baseline report. */
const CHANGES = ['new-failure', 'fixed', 'still-failing', 'unchanged'] as const
export type Change = (typeof CHANGES)[number]

const CheckResultSchema = z.object({
  check: z.string(),
  level: z.enum(LEVELS),
  outcome: z.enum(OUTCOMES),
  requirements: z.array(z.string()),
  expected: z.string(),
  actual: z.string(),
  message: z.string(),
})
export type CheckResult = z.infer<typeof CheckResultSchema>

/**
 * Headers as [name, value] pairs in the order received: any name is safe in a list, where an
 * object would take "__proto__" as its prototype and read "constructor" from Object. Version 1
 * reports kept an object; they are read into pairs.
 */
const HeadersSchema = z.preprocess((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : v), z.array(z.tuple([z.string(), z.string()])))

export const ExchangeSchema = z.object({
  label: z.string(),
  request: z.object({
    method: z.string(),
    url: z.string(),
    headers: HeadersSchema,
    body: z.string().optional(),
    certificate: z.string().optional().describe('the client certificate presented in mutual TLS (RFC 8705): whose, and its x5t#S256 thumbprint'),
  }),
  response: z
    .object({
      status: z.int(),
      headers: HeadersSchema,
      body: z.string(),
      bodyBytes: z.int().min(0),
      truncated: z.boolean(),
    })
    .optional(),
  error: z.string().optional(),
  durationMs: z.number().min(0),
  curl: z.string(),
})
export type Exchange = z.infer<typeof ExchangeSchema>

const DecodedJwtSchema = z.object({
  header: z.record(z.string(), z.unknown()),
  claims: z.record(z.string(), z.unknown()),
})

const CaseResultSchema = z.object({
  id: z.string(),
  suite: z.string(),
  title: z.string(),
  level: z.enum(LEVELS),
  requirements: z.array(z.object({ id: z.string(), document: z.string(), section: z.string(), label: z.string(), url: z.string() })),
  outcome: z.enum(OUTCOMES),
  /** Why a case was skipped or errored, or a one-line summary of what was found. */
  reason: z.string().optional(),
  /** The case's request as its suite describes it (references unresolved), when it describes one. */
  request: z.record(z.string(), z.unknown()).optional(),
  client: z.string().optional(),
  checks: z.array(CheckResultSchema),
  exchanges: z.array(ExchangeSchema),
  accessToken: DecodedJwtSchema.optional().describe('the decoded JWT access token, signature removed'),
  durationMs: z.number().min(0),
  /** Against a baseline report: how this case's verdict changed. */
  change: z.enum(CHANGES).optional(),
  /** Why this case's failure is accepted (from an accepted-deviations file): it does not fail CI. */
  accepted: z.string().optional(),
  /** The provider profile documents this behaviour: still an RFC failure, but a known one. */
  known: z.object({ provider: z.string(), behaviour: z.string(), source: z.string() }).optional(),
  /** What each request of the case got (findings are drawn from these). */
  answers: z.array(z.enum(['accepted', 'refused', 'no answer'])).optional(),
})
export type CaseResult = z.infer<typeof CaseResultSchema>

const SummarySchema = z.object({
  total: z.int().min(0),
  outcomes: OutcomeCountsSchema,
  byLevel: z.record(z.enum(LEVELS), OutcomeCountsSchema),
  byDocument: z.record(z.string(), OutcomeCountsSchema),
  /** Per level: the share of cases whose checks of that level all held; null where none judged one. */
  score: z.object({ MUST: z.number().nullable(), SHOULD: z.number().nullable() }),
})
export type Summary = z.infer<typeof SummarySchema>

const TargetResultSchema = z.object({
  name: z.string(),
  profile: z.string(),
  issuer: z.string().optional(),
  tokenEndpoint: z.string().optional(),
  jwksUri: z.string().optional(),
  discovery: z.object({
    url: z.string().optional(),
    error: z.string().optional(),
  }),
  clients: z.record(z.string(), z.object({ clientId: z.string(), authMethod: z.string(), secret: z.string() })),
  /** A target that could not be run at all (discovery failed, …): every case is errored. */
  error: z.string().optional(),
  /** What the suites concluded about the server (an audience policy, a measured clock window). */
  findings: z
    .array(
      z.object({
        suite: z.string(),
        id: z.string(),
        title: z.string(),
        value: z.string(),
        detail: z.string().optional(),
        /** How many requests a measure sent (its ladder's rungs that got an answer). */
        requests: z.int().min(0).optional(),
      }),
    )
    .optional(),
  /** The rules that judged JWT client authentication (the target's clientAuthProfile); absent in reports written before it was recorded. */
  clientAuthProfile: z.string().optional(),
  /** The audience of the run's client assertions, and how it was chosen (probed: what the server answered each candidate). */
  assertionAudience: z
    .object({
      value: z.union([z.string(), z.array(z.string())]),
      /** The header's typ the server needed, when an untyped assertion was refused. */
      typ: z.string().optional(),
      source: z.enum(['target', 'probe', 'default']),
      tried: z.array(z.object({ aud: z.string(), typ: z.string().optional(), accepted: z.boolean(), status: z.int().optional(), error: z.string().optional() })).optional(),
      note: z.string().optional(),
    })
    .optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().min(0),
  requests: z.int().min(0),
  cases: z.array(CaseResultSchema),
  summary: SummarySchema,
})
export type TargetResult = z.infer<typeof TargetResultSchema>

export const ReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal([1, REPORT_VERSION]).describe('1 for reports written before headers became pairs; they are read as 2'),
  tool: z.object({ name: z.string(), version: z.string() }),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  suites: z.array(z.object({ id: z.string(), title: z.string(), cases: z.int() })),
  targets: z.array(TargetResultSchema),
  /** The report this one was compared with, when the run had a baseline. */
  baseline: z.object({ runId: z.string(), startedAt: z.string() }).optional(),
})
export type Report = z.infer<typeof ReportSchema>
