/**
 * Alerts: what a state change says, in the Worker's JSON or in a Slack-compatible message, and
 * the HMAC signature that lets the receiver trust it. Delivery lives in work.ts: an alert is
 * written to D1 first and sent from the queue, retried until it is delivered.
 */
import { caseAnchor } from '../reporters/matrix.ts'
import { plain } from '../reporters/plain.ts'
import type { CaseResult } from '../schema/report.ts'
import type { CaseChange, TargetState } from './state.ts'

export interface AlertCase {
  case: string
  title: string
  change: CaseChange
  outcome: CaseResult['outcome']
  level: string
  requirement: { id: string; label: string; url: string }
  reason?: string
  /** For a new failure: when the streak began (the first of the confirmed failures). */
  failingSince?: string
  evidence: string
}

export interface Alert {
  event: 'grantcheck.alert'
  id: string
  at: string
  target: string
  run: { id: string; trigger: string; link: string }
  /**
   * The target stopped answering (every case errored) or came back; or it is overdue (no run
   * finished within twice its schedule) or finished one again (src/worker/watch.ts).
   */
  targetChange?: { change: 'outage' | 'recovered' | 'overdue' | 'resumed'; since: string; error?: string }
  cases: AlertCase[]
}

/** A link into the Worker; absolute when PUBLIC_URL is configured. */
export function link(publicUrl: string | undefined, path: string): string {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${path}` : path
}

export function alertCase(c: CaseResult, change: CaseChange, runId: string, publicUrl: string | undefined, failingSince?: string): AlertCase {
  const r = c.requirements[0]!
  return {
    case: `${c.suite}/${c.id}`,
    title: c.title,
    change,
    outcome: c.outcome,
    level: c.level,
    requirement: { id: r.id, label: r.label, url: r.url },
    reason: c.reason,
    failingSince,
    evidence: link(publicUrl, `/runs/${encodeURIComponent(runId)}#${caseAnchor(0, c.suite, c.id)}`),
  }
}

export function targetChangeOf(change: 'outage' | 'recovered' | undefined, state: TargetState) {
  return change ? { change, since: state.since, error: change === 'outage' ? state.error : undefined } : undefined
}

/** The body a webhook receives, in the configured format. */
export function webhookBody(alert: Alert, format: string | undefined): string {
  return JSON.stringify(format === 'slack' ? slackMessage(alert) : alert)
}

const TARGET_CHANGES: Record<NonNullable<Alert['targetChange']>['change'], string> = {
  outage: 'is down',
  recovered: 'is back up',
  overdue: 'is overdue: no run finished within twice its schedule',
  resumed: 'finished a run again',
}

/** A Slack incoming-webhook message: a summary line and one line per case, links included. */
export function slackMessage(alert: Alert): { text: string; blocks: unknown[] } {
  // Slack reads <, > and & as markup; server-provided text must not become a link or a mention.
  // *, _, ~ and ` format mrkdwn and have no escape there: a zero-width space on each side keeps
  // them from opening or closing bold, italics, strikethrough or code.
  const esc = (s: string) =>
    plain(s)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/[*_~`]/g, (ch) => `\u200b${ch}\u200b`)
  const counts = (c: CaseChange) => alert.cases.filter((x) => x.change === c).length
  const parts = [
    alert.targetChange ? TARGET_CHANGES[alert.targetChange.change] : '',
    counts('new-failure') ? `${counts('new-failure')} new failure(s)` : '',
    counts('fixed') ? `${counts('fixed')} fixed` : '',
  ].filter(Boolean)
  const text = `grantcheck: ${esc(alert.target)} ${parts.join(', ')}`
  const lines = alert.cases.map(
    (c) =>
      `${c.change === 'fixed' ? ':white_check_mark: fixed' : ':x: new failure'} <${c.evidence}|${esc(c.case)}> ${esc(c.title)} (${esc(c.requirement.label)})${c.reason ? `: ${esc(c.reason)}` : ''}`,
  )
  if (alert.targetChange?.error) lines.unshift(`:rotating_light: ${esc(alert.targetChange.error)}`)
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}* — <${alert.run.link}|run ${esc(alert.run.id)}>` } },
      ...(lines.length ? [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } }] : []),
    ],
  }
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it with the
 * shared secret and refuses an old timestamp, so a captured delivery cannot be replayed later.
 */
export async function signature(secret: string, body: string, unixSeconds: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${unixSeconds}.${body}`)))
  return `t=${unixSeconds},v1=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}
