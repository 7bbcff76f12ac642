/**
 * The expected-results files (fixtures/expected/*.yaml) as data: their zod schemas, and the
 * comparison of a run with them at the level of checks. A case is expected with its outcome and
 * the ids of the checks that must not hold there (failed, warning or errored); a run matches
 * when both agree for every case, so a check that stops failing, or one that starts to, is seen
 * even when the case's outcome stays the same.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import * as z from 'zod'
import { OUTCOMES, type CaseResult, type Outcome } from '../src/schema/report.ts'
import { ROOT } from './_run.ts'

const CASE_KEY = z.string().regex(/^([a-z0-9-]+\/[a-z0-9-]+|\*)$/, 'suite/case, or * for every case not named')
const CHECK_IDS = z.array(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a check id')).default([])
/** A reason in the file's own words: a sentence, not a placeholder. */
const REASON = z.string().regex(/\S+(\s+\S+){3,}/, 'a reason of a few words')

const ExpectedCaseSchema = z.strictObject({
  outcome: z.enum(OUTCOMES),
  checks: CHECK_IDS,
  why: REASON.optional(),
  /** Set on every entry of a case the defect is not aimed at. */
  collateral: z.literal(true).optional(),
})

export const ReferenceExpectationsSchema = z.strictObject({
  conformant: z.record(CASE_KEY, ExpectedCaseSchema.omit({ collateral: true }).extend({ why: REASON })),
  /** The conformant server under another clientAuthProfile, for the defects judged under it. */
  conformantUnder: z.record(z.string(), z.record(CASE_KEY, ExpectedCaseSchema.omit({ collateral: true }).extend({ why: REASON }))).optional(),
  defects: z.record(
    z.string(),
    z.strictObject({
      why: REASON,
      cases: z.record(CASE_KEY, ExpectedCaseSchema),
    }),
  ),
  /** Each lawful variation: what it does and why no verdict moves to a failure; the cases whose outcome it changes. */
  lawful: z.record(
    z.string(),
    z.strictObject({
      why: REASON,
      cases: z.record(CASE_KEY, ExpectedCaseSchema.omit({ collateral: true })),
    }),
  ),
})

export const EmulationExpectationsSchema = z.record(
  z.string(),
  z.record(
    CASE_KEY,
    z.strictObject({
      outcome: z.enum(OUTCOMES),
      checks: CHECK_IDS,
      /** The provider's profile documents this failure or warning. */
      known: z.boolean(),
      /** The PROVIDERS.md fact the entry comes from, or why the emulation answers as it does. */
      fact: REASON,
    }),
  ),
)

const ExplainedCasesSchema = z.record(CASE_KEY, ExpectedCaseSchema.omit({ collateral: true }).extend({ why: REASON }))
/** What both profiles share, what each one's run adds or changes, and what the mutual-TLS (https) run changes. */
export const OidcProviderExpectationsSchema = z.strictObject({
  both: ExplainedCasesSchema,
  rfc6749: ExplainedCasesSchema,
  oauth21: ExplainedCasesSchema,
  mtls: ExplainedCasesSchema,
  /** Every finding of the suites (`suite/finding`), as the default-profile run reads it, with why. */
  // A list of values: any of them, where the measurement sits on the server's own boundary and the
  // second the request is judged in decides (the why says so).
  findings: z.record(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'suite/finding'), z.strictObject({ value: z.union([z.string().min(1), z.array(z.string().min(1)).min(2)]), why: REASON })).optional(),
})
/** One run under the default profile: every case that does not pass, with its reason. */
export const AuthlibExpectationsSchema = ExplainedCasesSchema
/** The same, for the servers installed from npm (node-oauth2-server, jmondi-oauth2-server): one run, every case that does not pass. */
export const NpmServerExpectationsSchema = ExplainedCasesSchema

/** Reads and validates an expected-results file; a bad one fails with the file and field. */
export function loadExpected<T extends z.ZodType>(name: string, schema: T): z.infer<T> {
  const file = join(ROOT, 'fixtures/expected', name)
  const text = readFileSync(file, 'utf8')
  const parsed = schema.safeParse(parse(text))
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return parsed.data
}

/** The raw text of an expected-results file, for the tests that look at what it says. */
export function expectedText(name: string): string {
  return readFileSync(join(ROOT, 'fixtures/expected', name), 'utf8')
}

export interface Judged {
  outcome: Outcome
  /** Ids of the checks that did not hold (failed, warning, errored), sorted, each once. */
  checks: string[]
  /** Why an errored case could not be judged, for the disagreement's message. */
  reason?: string
}

const NOT_HOLDING = new Set<Outcome>(['failed', 'warning', 'errored'])

/** `suite/case` → outcome and the checks that did not hold. */
export function judged(cases: readonly CaseResult[]): Record<string, Judged> {
  return Object.fromEntries(
    cases.map((c) => [
      `${c.suite}/${c.id}`,
      {
        outcome: c.outcome,
        checks: [...new Set(c.checks.filter((k) => NOT_HOLDING.has(k.outcome)).map((k) => k.check))].sort(),
        ...(c.outcome === 'errored' && c.reason ? { reason: c.reason } : {}),
      },
    ]),
  )
}

/**
 * Every disagreement between a run and what is expected of it, one line each: the outcome, the
 * checks that did not hold but are not listed, and the listed checks that held. Empty when they
 * agree. `expected` answers for each case of the run.
 */
export function disagreements(got: Record<string, Judged>, expected: (key: string) => { outcome: Outcome; checks: readonly string[] }): string[] {
  const out: string[] = []
  for (const [key, j] of Object.entries(got)) {
    const e = expected(key)
    if (j.outcome !== e.outcome) out.push(`${key}: ${j.outcome}${j.reason ? ` (${j.reason})` : ''}, expected ${e.outcome}`)
    const unlisted = j.checks.filter((c) => !e.checks.includes(c))
    const held = e.checks.filter((c) => !j.checks.includes(c))
    if (unlisted.length) out.push(`${key}: ${unlisted.join(', ')} did not hold, and the file does not list ${unlisted.length === 1 ? 'it' : 'them'}`)
    if (held.length) out.push(`${key}: ${held.join(', ')} held, though the file lists ${held.length === 1 ? 'it' : 'them'} as not holding`)
  }
  return out
}

/** Run-time values that have no place in an expectation: ports, timestamps, random ids. */
export const RUN_TIME_VALUES = /(127\.0\.0\.1|localhost|\[::1\]):\d+|\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/
