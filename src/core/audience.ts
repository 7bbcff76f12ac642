/**
 * The audience (and explicit type) grantcheck puts in client assertions, for every case that does
 * not test them. Servers are moving from "any value that identifies me" (RFC 7523 §3) to "my
 * issuer identifier, alone" (draft-ietf-oauth-rfc7523bis-11 §4), and some require the explicit
 * type `client-authentication+jwt`; a strict server must not fail every JWT case for the tool's own
 * choice, nor a legacy one. So the audience is the target's (`assertionAudience`), or the first the
 * server accepts of its issuer and its token endpoint URL, untyped and then typed: one probe
 * request each (at most four, sent together), recorded in the report.
 *
 * @module
 */
import { RequestSchema } from '../schema/request.ts'
import type { TargetResult } from '../schema/report.ts'
import { buildRequest } from './request/build.ts'
import { sessionScope, type Session } from './session.ts'

export type AudienceChoice = NonNullable<TargetResult['assertionAudience']>

/** The explicit type rfc7523bis defines for client authentication JWTs. */
const CLIENT_AUTHENTICATION_TYP = 'client-authentication+jwt'

/** Client roles that sign assertions, in the order a probe prefers them. */
function assertionClient(s: Session): string | undefined {
  const clients = Object.values(s.resolved.clients)
  return (clients.find((c) => c.authMethod === 'private_key_jwt') ?? clients.find((c) => c.authMethod === 'client_secret_jwt'))?.role
}

export async function chooseAudience(s: Session): Promise<AudienceChoice> {
  const { target } = s.resolved
  const issuer = s.issuer
  const tokenEndpoint = s.endpoints.token
  const configured = target.assertionAudience
  if (configured) {
    const value = configured === 'issuer' ? issuer : configured === 'issuer-array' ? (issuer ? [issuer] : undefined) : configured === 'token-endpoint' ? tokenEndpoint : configured
    if (value) return { value, source: 'target' }
    return { value: tokenEndpoint ?? '', source: 'default', note: `the target asks for "${configured}", which it does not name; the token endpoint URL is used` }
  }
  const audiences = [issuer, tokenEndpoint].filter((v): v is string => !!v)
  const role = assertionClient(s)
  if (!role) return { value: audiences[0] ?? '', source: 'default' }
  // Sent together (as many at once as the target allows), not one after another: a token
  // endpoint that never answers then costs one request timeout rather than four, and the watchdog
  // sees them as the wave they are. The first accepted, in this order, is the choice.
  const candidates = [undefined, CLIENT_AUTHENTICATION_TYP].flatMap((typ) => audiences.map((aud) => ({ aud, typ })))
  const wave = target.limits.concurrency
  const tried: NonNullable<AudienceChoice['tried']> = []
  for (let i = 0; i < candidates.length && !tried.some((t) => t.accepted); i += wave) {
    const batch = candidates.slice(i, i + wave)
    const answers = await Promise.all(batch.map(({ aud, typ }) => probe(s, role, aud, typ).catch((e: unknown) => ({ accepted: false, error: e instanceof Error ? e.message : String(e) }))))
    batch.forEach(({ aud, typ }, k) => tried.push({ aud, ...(typ ? { typ } : {}), ...answers[k]! }))
  }
  const first = tried.find((t) => t.accepted)
  if (first) return { value: first.aud, ...(first.typ ? { typ: first.typ } : {}), source: 'probe', tried }
  return { value: audiences[0]!, source: 'probe', tried, note: 'the server accepted none; the issuer is used' }
}

/** One token request from `role` with an assertion for `aud`: whether it got a token. */
async function probe(s: Session, role: string, aud: string, typ: string | undefined): Promise<{ accepted: boolean; status?: number; error?: string }> {
  // A literal: `$${` keeps a `${` in a URL from being read as a reference.
  const literal = aud.replace(/\$\{/g, () => '$${')
  const spec = RequestSchema.parse({ client: role, auth: { assertion: { claims: { aud: literal }, ...(typ ? { header: { typ } } : {}) } } })
  const prepared = await buildRequest(spec, {
    scope: sessionScope(s, undefined),
    client: s.resolved.clients[role]!,
    unregisteredKey: s.unregisteredKey,
    randomId: s.ctx.randomId,
    assertionDefaults: async () => ({ aud }),
  })
  if (!('outgoing' in prepared)) return { accepted: false, error: prepared.skip }
  for (const secret of prepared.ephemeralSecrets) s.resolved.redactor.add(secret, 'client credentials')
  s.requests++
  const sent = await s.send(prepared.outgoing)
  if (!sent.ok) return { accepted: false, error: sent.error }
  const body = sent.response.json as { access_token?: unknown; error?: unknown } | undefined
  if (typeof body?.access_token === 'string') {
    // The session registered the token with the redactor when it arrived.
    return { accepted: true, status: sent.response.status }
  }
  return { accepted: false, status: sent.response.status, error: typeof body?.error === 'string' ? body.error.slice(0, 100) : undefined }
}
