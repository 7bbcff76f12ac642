/**
 * What the Worker adds to a target file: its `monitor` object (how often, which suites, how many
 * runs at once, how a change is confirmed before it alerts), and the rule that a target the Worker
 * stores holds no literal secret. Here, not in src/worker, because `grantcheck worker push`
 * validates the same before it sends anything.
 *
 * @module
 */
import * as z from 'zod'
import type { Target } from './target.ts'

export const MonitorSchema = z.strictObject({
  everyMinutes: z.int().min(1).max(10_080).optional().describe('minutes between scheduled runs (default DEFAULT_EVERY_MINUTES, else 60)'),
  suites: z
    .array(z.string().regex(/^[a-z0-9-]+$/))
    .min(1)
    .optional()
    .describe('built-in suite ids scheduled runs use (default: all)'),
  concurrency: z.int().min(1).max(8).default(1).describe('runs against this target at once, whatever triggered them'),
  confirm: z.int().min(0).max(3).optional().describe('further observations that must agree before a change alerts, N - 1 of "N of M" (default CONFIRM_FAILURES, else 1)'),
  confirmOf: z.int().min(1).max(8).optional().describe('observations a change is judged over, M of "N of M", kept between N and 2N - 2 (default CONFIRM_OF, else N)'),
  confirmAfterMinutes: z.number().min(0).max(60).optional().describe('minutes before a confirming run (default CONFIRM_AFTER_MINUTES, else 5)'),
})

/** The client fields that hold secrets (a certificate is public: its PEM may be written out). */
const SECRET_FIELDS = ['clientSecret', 'privateJwk', 'certificateKey'] as const

/**
 * Literal secrets in a target, one issue per field. The target schema accepts them for loopback
 * targets (harmless on a developer's machine); a target stored in the Worker's database never
 * holds one, whatever its host: each names a Worker secret, `{ "env": "VAR" }`.
 */
export function literalSecretIssues(target: Pick<Target, 'clients'>): Array<{ path: Array<string | number>; message: string }> {
  return Object.entries(target.clients).flatMap(([role, client]) =>
    SECRET_FIELDS.filter((field) => typeof client[field] === 'string').map((field) => ({
      path: ['clients', role, field],
      message: 'a stored target holds no literal secret: name a Worker secret, { "env": "VAR" } (`wrangler secret put VAR`)',
    })),
  )
}
