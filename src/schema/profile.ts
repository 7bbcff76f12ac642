/**
 * Provider profiles: what is documented about how a provider behaves, so that a verdict can tell
 * an RFC violation that is the provider's documented choice from one nobody expected.
 *
 * A profile never changes a verdict. A documented deviation is still reported as a failure (or
 * warning) of the RFC, and additionally labelled "known for this provider", which CI can then
 * accept explicitly (`--accept-known`).
 *
 * @module
 */
import * as z from 'zod'

export const ProfileSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1),
  /** The RFC rules the provider is judged by: RFC 6749 (with Pragma) or OAuth 2.1. */
  base: z.enum(['rfc6749', 'oauth21']),
  docs: z.url().optional(),
  /** Placeholders the user fills in (`{domain}`), and how endpoints are built from them. */
  variables: z.record(z.string().regex(/^[a-zA-Z]+$/), z.string()).default({}),
  endpoints: z.strictObject({ issuer: z.string().optional(), tokenEndpoint: z.string().optional() }),
  /** Parameters the provider needs on every token request (Auth0's audience). */
  requestDefaults: z.strictObject({ audience: z.string().optional(), resource: z.string().optional() }).default({}),
  /** Where the provider's JWT access tokens put what RFC 9068 calls client_id and scope. */
  claims: z.strictObject({ clientId: z.string().default('client_id'), scope: z.string().default('scope'), typ: z.string().optional() }).default({
    clientId: 'client_id',
    scope: 'scope',
  }),
  scopes: z.strictObject({ valid: z.array(z.string()).min(1), restricted: z.string().optional(), unknown: z.string().optional() }),
  /** Client roles to create, with the authentication method and the env var for the secret. */
  clients: z.record(
    z.string(),
    z.strictObject({ authMethod: z.enum(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt']), env: z.string(), note: z.string().optional() }),
  ),
  /** The provider's own setup steps, for `grantcheck init`. */
  setup: z.array(z.string()).min(1),
  deviations: z
    .array(
      z.strictObject({
        case: z.string().regex(/^([a-z0-9-]+\/[a-z0-9-]+|\*)$/, 'suite/case, or * with a check'),
        check: z.string().optional().describe('only this check of the case; with case "*", this check in any case'),
        behaviour: z.string().min(1).describe("the provider's documented behaviour"),
        source: z.string().min(1).describe('where it is documented (PROVIDERS.md cites the source)'),
      }),
    )
    .default([]),
})
export type Profile = z.infer<typeof ProfileSchema>
