/** Small formatting shared by the reporters. */

/** A score as a whole percentage, or "n/a" where nothing was judged. */
export const percent = (v: number | null): string => (v === null ? 'n/a' : `${Math.round(v * 100)}%`)

/** The fields of a target that say which rules judged it and how its assertions were addressed. */
interface JudgedUnder {
  profile: string
  clientAuthProfile?: string
  assertionAudience?: { value: string | string[]; typ?: string; source: 'target' | 'probe' | 'default' }
}

/**
 * Which rules judged a target, in the order every format shows them: the profile, the client
 * authentication profile (which decides whether audience outcomes fail) and the audience of the
 * run's client assertions with how it was chosen. Each is [report field, words, value]; values are
 * raw, for each reporter to escape its own way.
 */
export function judgedUnder(t: JudgedUnder): Array<[field: string, words: string, value: string]> {
  const a = t.assertionAudience
  const rows: Array<[string, string, string]> = [['profile', 'profile', t.profile]]
  if (t.clientAuthProfile) rows.push(['clientAuthProfile', 'client authentication profile', t.clientAuthProfile])
  if (a)
    rows.push([
      'assertionAudience',
      'assertion audience',
      `${JSON.stringify(a.value)}${a.typ ? ` typed ${a.typ}` : ''} (${a.source === 'target' ? 'set in the target' : a.source === 'probe' ? 'probed' : 'the default'})`,
    ])
  return rows
}

/** A finding's value, with the number of requests a measure sent. */
export const findingValue = (f: { value: string; requests?: number }): string => (f.requests === undefined ? f.value : `${f.value} [${f.requests} request${f.requests === 1 ? '' : 's'}]`)
