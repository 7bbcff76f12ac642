/**
 * The dashboard's pages: the overview of every target, one target's page (status, trend, failing
 * cases, per-case history, what changed in its metadata and keys, alerts), the alerts, and the
 * sign-in form. Server-rendered; every value from a server or the configuration is escaped by the
 * JSX renderer, and the only styles are the stylesheet the CSP names by hash.
 */
import { raw } from 'hono/html'
import type { Child, FC } from 'hono/jsx'
import { STYLES } from '../reporters/html/styles.ts'
import type { Identity } from './auth.ts'
import { passRate, TrendChart } from './chart.tsx'
import type { ConfigProblem, Monitor } from './config.ts'
import type { SnapshotSummary } from './snapshot.ts'
import type { CaseState, TargetState } from './state.ts'
import type { LatestRun, RunRow } from './store.ts'

/** The dashboard's own rules, after the report's stylesheet. */
export const DASHBOARD_STYLES = `${STYLES}
nav { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; } nav a { color: var(--info); }
nav .who { margin-left: auto; color: var(--muted); font-size: .85rem; }
table.grid { border-collapse: collapse; font-size: .85rem; } table.grid th, table.grid td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; }
td.cell { width: 14px; padding: 0; } td.cell a { display: block; width: 14px; height: 18px; }
td.cell.passed { background: var(--passed); } td.cell.failed { background: var(--failed); } td.cell.warning { background: var(--warning); }
td.cell.errored { background: var(--errored); } td.cell.info { background: var(--info); } td.cell.skipped { background: #d0d7de; }
.state-up { color: var(--passed); } .state-failing, .state-down { color: var(--failed); } .state-suspect { color: var(--warning); } .state-unknown { color: var(--muted); }
form.inline { display: inline; } button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
svg .axis, svg .grid { stroke: var(--line); } svg .tick { fill: var(--muted); font-size: 11px; }
svg .rate { fill: none; stroke: var(--passed); stroke-width: 2; } svg .latency { fill: none; stroke: var(--info); stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .point { fill: var(--passed); } svg .down { fill: var(--failed); }
.key.rate { color: var(--passed); } .key.latency { color: var(--info); }
.login { max-width: 420px; } .login input { font: inherit; width: 100%; padding: 4px 6px; margin: 4px 0 8px; }
`

export interface TargetView {
  monitor: Monitor
  state?: TargetState
  cases: Map<string, CaseState>
  /** The last finished run and the counts of the last few (a per-target row: issue 25). */
  latest?: LatestRun
  /** The newest runs, newest first: loaded for the target's page, or while no run has finished. */
  runs: RunRow[]
  /** Since when no run finished within twice the schedule (watch.ts), when that is so. */
  overdue?: string
}

export interface PageContext {
  identity: Identity
  csrf: string
  canLogout: boolean
}

function page(title: string, ctx: PageContext | undefined, body: Child): string {
  return `<!doctype html>${(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} — grantcheck`}</title>
        <style>{raw(DASHBOARD_STYLES)}</style>
      </head>
      <body>
        <header>
          <nav aria-label="grantcheck">
            <h1>grantcheck</h1>
            {ctx && <a href="/">Targets</a>}
            {ctx && <a href="/alerts">Alerts</a>}
            {ctx && (
              <span class="who">
                {ctx.identity.who} ({ctx.identity.role === 'run' ? 'may run' : 'read-only'})
                {ctx.canLogout && (
                  <form class="inline" method="post" action="/logout">
                    <input type="hidden" name="csrf" value={ctx.csrf} /> <button type="submit">Sign out</button>
                  </form>
                )}
              </span>
            )}
          </nav>
        </header>
        <main>{body}</main>
      </body>
    </html>
  ).toString()}`
}

export const targetHref = (name: string) => `/targets/${encodeURIComponent(name)}`

/** A target's status: overdue (what it says is old), down, failing N, suspect N, up, or not run yet. */
export function statusOf(v: Pick<TargetView, 'state' | 'cases' | 'overdue'>): { label: string; cls: string; since?: string } {
  if (v.overdue) return { label: 'overdue', cls: 'state-suspect', since: v.overdue }
  if (!v.state) return { label: 'not run yet', cls: 'state-unknown' }
  if (v.state.state === 'down') return { label: 'down', cls: 'state-down', since: v.state.since }
  const failing = [...v.cases.values()].filter((c) => c.state === 'failing')
  if (failing.length) return { label: `${failing.length} failing`, cls: 'state-failing', since: failing.map((c) => c.since).sort()[0] }
  const suspect = [...v.cases.values()].filter((c) => c.state === 'suspect').length
  if (suspect) return { label: `${suspect} being confirmed`, cls: 'state-suspect' }
  return { label: 'passing', cls: 'state-up', since: v.state.since }
}

const RunNow: FC<{ name: string; ctx: PageContext }> = ({ name, ctx }) =>
  ctx.identity.role === 'run' ? (
    <form class="inline" method="post" action={`${targetHref(name)}/run`}>
      <input type="hidden" name="csrf" value={ctx.csrf} />
      <button type="submit">Run now</button>
    </form>
  ) : null

export function overviewPage(ctx: PageContext, views: TargetView[], problems: ConfigProblem[]): string {
  return page(
    'Targets',
    ctx,
    <>
      <p class="meta">{views.length} target(s) monitored. Status is kept per case: a run of some suites changes only the cases it ran.</p>
      {problems.length > 0 && (
        <section class="alert" aria-labelledby="problems">
          <h2 id="problems">Configuration problems</h2>
          <p>These targets (stored, or in GRANTCHECK_TARGETS) are not monitored until they are fixed; the others run.</p>
          <ul>
            {problems.map((p) => (
              <li>
                <code>{p.where}</code>
                {p.name ? ` (${p.name})` : ''}: {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      <table class="checks" aria-label="targets">
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Since</th>
            <th scope="col">Last run</th>
            <th scope="col">Pass rate, last runs</th>
            <th scope="col">Schedule</th>
            <th scope="col"></th>
          </tr>
        </thead>
        <tbody>
          {views.map((v) => {
            const s = statusOf(v)
            const last = v.latest
            const rates = (last?.recent ?? []).map((c) => passRate(c))
            return (
              <tr>
                <td>
                  <a href={targetHref(v.monitor.target.name)}>{v.monitor.target.name}</a>
                </td>
                <td class={s.cls}>{s.label}</td>
                <td>{s.since ?? ''}</td>
                <td>{last ? <a href={`/runs/${last.runId}`}>{last.finishedAt}</a> : v.runs[0] ? `${v.runs[0].status}…` : 'none'}</td>
                <td>{rates.map((r) => (r === undefined ? '–' : `${Math.round(r * 100)}%`)).join(' ')}</td>
                <td>{`every ${v.monitor.everyMinutes} min${v.monitor.suites ? `: ${v.monitor.suites.join(', ')}` : ''}`}</td>
                <td>
                  <RunNow name={v.monitor.target.name} ctx={ctx} />
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </>,
  )
}

export interface TargetPageData {
  view: TargetView
  titles: Map<string, { title: string; level: string; requirement: { label: string; url: string } }>
  snapshots: Array<{ runId: string; at: string; metadataHash?: string; jwksHash?: string; summary: unknown }>
  alerts: Array<{ id: string; createdAt: string; body: string; deliveredAt?: string; attempts: number; lastError?: string; givenUpAt?: string }>
  now: number
}

const webLink = (url: string) => (/^https?:\/\//i.test(url) ? url : '#')

export function targetPage(ctx: PageContext, d: TargetPageData): string {
  const v = d.view
  const name = v.monitor.target.name
  const s = statusOf(v)
  const done = v.runs.filter((r) => r.status === 'done' && r.results)
  const columns = done.slice(0, 20)
  const keys = [...new Set([...d.titles.keys()].filter((k) => columns.some((r) => r.results![k]) || v.cases.has(k)))]
  const failing = [...v.cases].filter(([, c]) => c.state !== 'passing').sort((a, b) => a[1].since.localeCompare(b[1].since))
  const changes = snapshotChanges(d.snapshots)
  const expiring = keyWarnings(d.snapshots[0]?.summary as SnapshotSummary | undefined, d.now)
  return page(
    name,
    ctx,
    <>
      <h2>
        {name} <span class={s.cls}>{s.label}</span>
      </h2>
      <p class="meta">
        {v.monitor.target.issuer ?? v.monitor.target.tokenEndpoint} · every {v.monitor.everyMinutes} min
        {v.monitor.suites ? ` (${v.monitor.suites.join(', ')})` : ' (all suites)'} · {s.since ? `since ${s.since}` : ''} <RunNow name={name} ctx={ctx} />
      </p>
      {v.state?.state === 'down' && (
        <p class="alert">
          Not answering since {v.state.since}: {v.state.error ?? 'every case errored'}
        </p>
      )}
      {expiring.map((w) => (
        <p class="alert">{w}</p>
      ))}
      <h3>Trend</h3>
      <TrendChart runs={v.runs} />
      <h3>Failing and unconfirmed cases</h3>
      {failing.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {failing.map(([key, c]) => {
            const t = d.titles.get(key)
            return (
              <li>
                <span class={c.state === 'failing' ? 'failed' : 'warning'}>{c.state === 'failing' ? 'failing' : 'being confirmed'}</span> since {c.since}:{' '}
                <a href={`/runs/${c.runId}#t0-${key.replace('/', '-')}`}>
                  <code>{key}</code>
                </a>{' '}
                {t?.title ?? ''} {t && <a href={webLink(t.requirement.url)}>{t.requirement.label}</a>}
                {c.flips > 0 ? ` · flipped ${c.flips}×` : ''}
              </li>
            )
          })}
        </ul>
      )}
      <h3>Per-case history</h3>
      <p class="meta">Newest run on the left; a case that flips between passing and failing is flaky. Each cell links to the run's evidence for the case.</p>
      <div class="matrix-scroll">
        <table class="grid" aria-label="per-case history">
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">State</th>
              <th scope="col">Flips</th>
              {columns.map((r) => (
                <th scope="col" title={r.finishedAt}>
                  {(r.finishedAt ?? '').slice(11, 16)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const c = v.cases.get(key)
              const window = columns.map((r) => r.results![key]?.[0])
              const flipsInWindow = window.filter((o, i) => o && window[i + 1] && (o === 'failed') !== (window[i + 1] === 'failed')).length
              return (
                <tr>
                  <th scope="row">
                    <code>{key}</code> <span class="meta">{d.titles.get(key)?.title ?? ''}</span>
                  </th>
                  <td class={c ? `state-${c.state}` : 'state-unknown'}>{c?.state ?? 'not run'}</td>
                  <td>{`${flipsInWindow}${c?.flips ? ` (${c.flips} ever)` : ''}`}</td>
                  {columns.map((r) => {
                    const o = r.results![key]?.[0]
                    return o ? (
                      <td class={`cell ${o}`}>
                        <a href={`/runs/${r.id}#t0-${key.replace('/', '-')}`} title={`${r.finishedAt}: ${o}`} aria-label={`${r.finishedAt}: ${o}`}></a>
                      </td>
                    ) : (
                      <td class="cell"></td>
                    )
                  })}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      <h3>Metadata and keys</h3>
      {changes.length === 0 ? (
        <p>{d.snapshots.length ? `Unchanged over the last ${d.snapshots.length} snapshot(s).` : 'No snapshot yet.'}</p>
      ) : (
        <ul>
          {changes.map((c) => (
            <li>
              {c.at}: {c.what}
            </li>
          ))}
        </ul>
      )}
      <h3>Recent runs</h3>
      <table class="checks" aria-label="recent runs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Trigger</th>
            <th scope="col">Status</th>
            <th scope="col">passed</th>
            <th scope="col">failed</th>
            <th scope="col">warning</th>
            <th scope="col">errored</th>
            <th scope="col">Cases</th>
          </tr>
        </thead>
        <tbody>
          {v.runs.slice(0, 15).map((r) => (
            <tr>
              <td>{r.status === 'done' ? <a href={`/runs/${r.id}`}>{r.id}</a> : r.id}</td>
              <td>{r.trigger}</td>
              <td>{r.status === 'done' ? r.finishedAt : `${r.status} (${r.partsDone}/${r.parts} parts)`}</td>
              <td>{r.counts?.passed ?? ''}</td>
              <td class={r.counts?.failed ? 'failed' : ''}>{r.counts?.failed ?? ''}</td>
              <td>{r.counts?.warning ?? ''}</td>
              <td>{r.counts?.errored ?? ''}</td>
              <td>{r.suites ? r.suites.join(', ') : r.caseCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Alerts</h3>
      <AlertList alerts={d.alerts} />
    </>,
  )
}

const AlertList: FC<{ alerts: TargetPageData['alerts'] }> = ({ alerts }) =>
  alerts.length === 0 ? (
    <p>None.</p>
  ) : (
    <ul>
      {alerts.map((a) => {
        const body = JSON.parse(a.body) as { target: string; targetChange?: { change: string }; cases: Array<{ change: string; case: string }>; run: { id: string } }
        return (
          <li>
            {a.createdAt} <strong>{body.target}</strong>: {body.targetChange ? `${body.targetChange.change}; ` : ''}
            {body.cases.map((c) => `${c.change} ${c.case}`).join(', ')} · <a href={`/runs/${body.run.id}`}>run</a> ·{' '}
            {a.deliveredAt
              ? `delivered ${a.deliveredAt}`
              : a.givenUpAt
                ? `given up ${a.givenUpAt}, not delivered (${a.attempts} attempt(s): ${a.lastError ?? ''})`
                : a.attempts
                  ? `not delivered yet (${a.attempts} attempt(s): ${a.lastError ?? ''})`
                  : 'not sent (no webhook configured, or queued)'}
          </li>
        )
      })}
    </ul>
  )

export function alertsPage(ctx: PageContext, alerts: TargetPageData['alerts']): string {
  return page('Alerts', ctx, <AlertList alerts={alerts} />)
}

export function loginPage(error?: string): string {
  return page(
    'Sign in',
    undefined,
    <section class="login">
      <h2>Sign in</h2>
      {error && <p class="alert">{error}</p>}
      <form method="post" action="/login">
        <label for="token">API token (the run or the read-only one)</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
      <p class="meta">The token becomes a signed session cookie for 8 hours; the token itself is not stored.</p>
    </section>,
  )
}

/** What changed between consecutive snapshots, newest first, in words. */
export function snapshotChanges(snapshots: TargetPageData['snapshots']): Array<{ at: string; what: string }> {
  const out: Array<{ at: string; what: string }> = []
  for (let i = 0; i + 1 < snapshots.length; i++) {
    const now = snapshots[i]!
    const before = snapshots[i + 1]!
    const a = now.summary as SnapshotSummary
    const b = before.summary as SnapshotSummary
    const what: string[] = []
    if (now.metadataHash !== before.metadataHash) {
      for (const k of new Set([...Object.keys(a.endpoints), ...Object.keys(b.endpoints)]))
        if (a.endpoints[k] !== b.endpoints[k]) what.push(`${k}: ${b.endpoints[k] ?? '(none)'} → ${a.endpoints[k] ?? '(none)'}`)
      if (JSON.stringify(a.grantTypes) !== JSON.stringify(b.grantTypes)) what.push(`grant_types_supported: ${(b.grantTypes ?? []).join(' ')} → ${(a.grantTypes ?? []).join(' ')}`)
      if (JSON.stringify(a.authMethods) !== JSON.stringify(b.authMethods)) what.push(`auth methods: ${(b.authMethods ?? []).join(' ')} → ${(a.authMethods ?? []).join(' ')}`)
      if (!what.length) what.push('the metadata document changed')
    }
    if (now.jwksHash !== before.jwksHash) {
      const kids = (s: SnapshotSummary) => new Set(s.keys.map((k) => k.kid ?? '(no kid)'))
      const added = [...kids(a)].filter((k) => !kids(b).has(k))
      const removed = [...kids(b)].filter((k) => !kids(a).has(k))
      what.push(
        added.length || removed.length
          ? `keys: ${added
              .map((k) => `+${k}`)
              .concat(removed.map((k) => `−${k}`))
              .join(' ')}`
          : 'the key set changed (same kids)',
      )
    }
    if (what.length) out.push({ at: now.at, what: what.join('; ') })
  }
  return out
}

/** Signing keys whose certificate expires within 30 days, or has expired. */
export function keyWarnings(summary: SnapshotSummary | undefined, now: number): string[] {
  if (!summary) return []
  return summary.keys.flatMap((k) => {
    if (!k.notAfter) return []
    const days = (Date.parse(k.notAfter) - now) / 86_400_000
    if (days > 30) return []
    return [
      days < 0 ? `The certificate of key ${k.kid ?? '(no kid)'} expired on ${k.notAfter}.` : `The certificate of key ${k.kid ?? '(no kid)'} expires on ${k.notAfter} (in ${Math.floor(days)} days).`,
    ]
  })
}
