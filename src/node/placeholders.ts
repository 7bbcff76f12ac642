/**
 * The placeholders `grantcheck init` writes into a target template, written and recognised from
 * one definition. A template validates against the target schema as it is (its placeholders are
 * URL-shaped, docs/decisions.md), so without this a fresh template would send requests to
 * https://domain/…; the CLI's loader refuses a target that still holds one, naming the field.
 *
 * Only the template's own markers are recognised, never a guess at capital letters:
 * - a profile variable that is the whole base of a URL (`{issuer}`) becomes `https://ISSUER.example`,
 *   under the `.example` name that RFC 2606 reserves, so no real endpoint can start with it;
 * - a variable inside a URL (`https://{domain}/oauth2/{authServerId}`) becomes its name in
 *   capitals, recognised only as a whole host label or path segment of an http(s) URL, in the
 *   same case (real host names are written in lower case, and a real Okta domain is not `DOMAIN`);
 * - a client id is `<primary client id>`.
 */
import type { Profile } from '../schema/profile.ts'
import type { Target } from '../schema/target.ts'

/** What the template writes for `{name}`: a URL-shaped stand-in where it is the whole base of a value. */
function placeholder(name: string, wholeBase: boolean): string {
  return wholeBase ? `https://${name.toUpperCase()}.example` : name.toUpperCase()
}

/** A profile's `{variable}` pattern as the template writes it. */
export function fillPlaceholders(pattern: string): string {
  return pattern.replace(/\{(\w+)\}/g, (_, name: string, at: number) => placeholder(name, at === 0))
}

/** The client id the template writes for a role. */
export function clientIdPlaceholder(role: string): string {
  return `<${role} client id>`
}

interface Marker {
  text: string
  /** Inside a URL (a host label or path segment), rather than the whole base of a value. */
  inline: boolean
  /** What to put there instead, from each profile that writes this marker, by profile id. */
  meaning: Map<string, string>
}

/** Every marker the built-in profiles' templates write, from the same patterns fillPlaceholders fills. */
function markersOf(profiles: ReadonlyMap<string, Profile>): Marker[] {
  const markers = new Map<string, Marker>()
  for (const [id, p] of profiles) {
    const patterns = [p.endpoints.issuer, p.endpoints.tokenEndpoint, p.requestDefaults.audience, p.requestDefaults.resource, ...p.scopes.valid, p.scopes.restricted, p.scopes.unknown]
    for (const pattern of patterns)
      for (const m of (pattern ?? '').matchAll(/\{(\w+)\}/g)) {
        const name = m[1]!
        const text = placeholder(name, m.index === 0)
        const marker = markers.get(text) ?? { text, inline: m.index !== 0, meaning: new Map() }
        marker.meaning.set(id, p.variables[name] ?? `your ${name}`)
        markers.set(text, marker)
      }
  }
  return [...markers.values()]
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Whether `value` holds `marker` where a template puts it. */
function holds(value: string, marker: Marker): boolean {
  if (!marker.inline) return new RegExp(`^${escape(marker.text)}(?=$|[/:?#])`).test(value)
  return /^https?:\/\//.test(value) && new RegExp(`(?<=[/.])${escape(marker.text)}(?=$|[/.:?#])`).test(value)
}

/** Keys whose values are never template output: free text, and secrets (never searched, never quoted). */
const SKIPPED = new Set(['$schema', '$comment', 'description', 'clientSecret', 'privateJwk'])

/** Every string of the target with its field path, except the skipped keys. */
function* strings(value: unknown, path: PropertyKey[] = []): Generator<[PropertyKey[], string]> {
  if (typeof value === 'string') yield [path, value]
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, [...path, i])
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (!SKIPPED.has(k)) yield* strings(v, [...path, k])
}

/**
 * The init placeholders a target still holds, one issue per field and placeholder, with what
 * replaces it (as the target's own profile says, else every profile that writes it).
 */
export function placeholderIssues(target: Target, profiles: ReadonlyMap<string, Profile>): Array<{ path: PropertyKey[]; message: string }> {
  const markers = markersOf(profiles)
  const issues: Array<{ path: PropertyKey[]; message: string }> = []
  const still = (path: PropertyKey[], text: string, instead: string) => issues.push({ path, message: `still holds the init placeholder ${text}: replace it with ${instead}` })
  for (const [path, value] of strings(target)) {
    const [top, role, field] = path
    if (top === 'clients' && field === 'clientId' && path.length === 3 && value === clientIdPlaceholder(String(role))) {
      still(path, value, `the client id of your ${String(role)} client`)
      continue
    }
    for (const m of markers) {
      if (!holds(value, m)) continue
      const own = m.meaning.get(target.profile)
      still(path, m.text, own ?? [...new Set(m.meaning.values())].join(', or '))
    }
  }
  return issues
}
