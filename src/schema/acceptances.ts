/**
 * The accepted-deviations file: known, accepted provider quirks that must not fail CI, each with
 * the reason someone accepted it.
 *
 * @module
 */
import * as z from 'zod'

export const AcceptancesSchema = z.array(
  z.strictObject({
    case: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'suite/case, as in the report'),
    target: z.string().min(1).default('*').describe('the target name, or "*" for every target'),
    reason: z.string().min(3).describe('why this deviation is accepted: required'),
  }),
)
