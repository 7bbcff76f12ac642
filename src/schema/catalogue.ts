/**
 * The requirement catalogue: what the RFCs ask of a client-credentials token endpoint, one entry
 * per requirement, each mapped to the cases that test it or saying why none can.
 *
 * @module
 */
import * as z from 'zod'
import { REQUIREMENT_ID } from './requirements.ts'

export const KEYWORDS = ['MUST', 'MUST NOT', 'REQUIRED', 'SHOULD', 'SHOULD NOT', 'RECOMMENDED', 'MAY', 'OPTIONAL', 'definition'] as const

/** Keywords that make an entry mandatory: a test fails when such an entry has no case. */
export const MANDATORY: ReadonlyArray<(typeof KEYWORDS)[number]> = ['MUST', 'MUST NOT', 'REQUIRED']

const CatalogueEntrySchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
    section: z.string().regex(REQUIREMENT_ID),
    keyword: z.enum(KEYWORDS),
    /** AS: an obligation of the authorization server; C: of the client, observed through the server's reaction. */
    party: z.enum(['AS', 'C']),
    quote: z.string().min(1),
    cases: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'suite/case')).default([]),
    untestable: z.string().min(1).optional().describe('why no outside client can observe it'),
  })
  .refine((e) => e.cases.length > 0 || e.untestable, { message: 'give "cases" or say why it is "untestable"' })

export const CatalogueSchema = z.strictObject({
  version: z.literal(1),
  title: z.string(),
  entries: z.array(CatalogueEntrySchema).min(1),
})
export type Catalogue = z.infer<typeof CatalogueSchema>
