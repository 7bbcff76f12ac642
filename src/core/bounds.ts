/**
 * How much of what a server sends a report keeps, so that a report stays small whatever a server
 * sends: a 0.7 MB access token once became 18 MB of report, because every case kept its claims.
 * Each value is cut after it is redacted (a cut through a secret would leave its start), and says
 * how long it was.
 *
 * @module
 */
import type { CaseResult } from '../schema/report.ts'

/** Characters kept of one check's expected, actual or message text, and of a reason. */
const KEPT_TEXT = 2048
/** Characters kept of one header value. */
export const KEPT_HEADER = 2048
/** Characters of JSON kept of one member of a decoded JWT, and of the whole JWT. */
const KEPT_JWT_MEMBER = 1024
const KEPT_JWT = 16_384

/** The text, cut at `max` characters with its length said. */
export function bounded(text: string, max = KEPT_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length} characters, ${max} kept]`
}

/**
 * A decoded JWT as reports keep it: members whose JSON is longer than a member's share are
 * replaced by their size, and members past the whole JWT's share are left out (and counted).
 */
function boundedJwt(jwt: { header: Record<string, unknown>; claims: Record<string, unknown> }): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  let room = KEPT_JWT
  const part = (members: Record<string, unknown>) => {
    const out: Record<string, unknown> = {}
    let left = 0
    for (const [name, value] of Object.entries(members)) {
      const size = (JSON.stringify(value) ?? '').length + name.length
      const kept = size <= KEPT_JWT_MEMBER ? value : `[${size} characters, not kept]`
      const cost = size <= KEPT_JWT_MEMBER ? size : 32
      if (cost > room) {
        left++
        continue
      }
      room -= cost
      Object.defineProperty(out, bounded(name, 256), { value: kept, enumerable: true, writable: true, configurable: true })
    }
    if (left) Object.defineProperty(out, '…', { value: `${left} more members, not kept`, enumerable: true, writable: true, configurable: true })
    return out
  }
  return { header: part(jwt.header), claims: part(jwt.claims) }
}

/** A redacted case result with every server-derived value within its bound. */
export function boundCase(c: CaseResult): CaseResult {
  return {
    ...c,
    reason: c.reason === undefined ? undefined : bounded(c.reason),
    checks: c.checks.map((k) => ({ ...k, expected: bounded(k.expected), actual: bounded(k.actual), message: bounded(k.message) })),
    accessToken: c.accessToken && boundedJwt(c.accessToken),
  }
}
