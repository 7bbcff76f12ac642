/**
 * The HTML report: one self-contained file (inline CSS, no scripts, no external assets) that
 * opens from file:// and explains every verdict with its evidence.
 *
 * @module
 */
import { raw } from 'hono/html'
import type { FC } from 'hono/jsx'
import { OUTCOMES, type CaseResult, type Exchange, type Outcome, type Report, type TargetResult } from '../../schema/report.ts'
import { buildMatrix, caseAnchor, type Matrix } from '../matrix.ts'
import { OUTCOME_MARK } from '../text.ts'
import { SCRIPT, STYLES } from './styles.ts'
import { percent } from '../format.ts'

const SEVERITY: Outcome[] = ['failed', 'errored', 'warning', 'info', 'passed', 'skipped']

/** Renders the report as a complete HTML document. */
export function renderHtml(report: Report): string {
  return `<!doctype html>${(<Page report={report} />).toString()}`
}


const Page: FC<{ report: Report }> = ({ report }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>grantcheck report — {report.targets.map((t) => t.name).join(', ')}</title>
      {/* Raw: the stylesheet is our own constant, and escaping would break its selectors. */}
      <style>{raw(STYLES)}</style>
    </head>
    <body>
      <header>
        <h1>grantcheck report</h1>
        <p class="meta">
          Run <code>{report.runId}</code> · {report.startedAt} · grantcheck {report.tool.version} · suites:{' '}
          {report.suites.map((s) => `${s.id} (${s.cases})`).join(', ')}
        </p>
      </header>
      <main>
        {report.baseline && (
          <p class="meta">
            Compared with run <code>{report.baseline.runId}</code> ({report.baseline.startedAt}).
          </p>
        )}
        {report.targets.length > 1 && <MatrixView matrix={buildMatrix(report)} />}
        {report.targets.map((t, i) => (
          <TargetSection target={t} index={i} />
        ))}
      </main>
      {/* The only script: copy buttons, and opening a case when a link points at it. */}
      <script>{raw(SCRIPT)}</script>
    </body>
  </html>
)

/** Cases grouped by their first (primary) requirement, in document and section order. */
export function groupBySection(cases: CaseResult[]): Array<{ requirement: CaseResult['requirements'][number]; cases: CaseResult[] }> {
  const groups = new Map<string, { requirement: CaseResult['requirements'][number]; cases: CaseResult[] }>()
  for (const c of cases) {
    const r = c.requirements[0]!
    const g = groups.get(r.id) ?? { requirement: r, cases: [] }
    g.cases.push(c)
    groups.set(r.id, g)
  }
  const order = (id: string) => {
    const [doc, section] = [id.slice(0, id.indexOf('-')), id.slice(id.indexOf('-') + 1)]
    // RFCs in number order first, then errata and other documents; appendices after sections.
    const docKey = doc.startsWith('RFC') ? doc : `~${doc}`
    return [docKey, ...section.split('.').map((p) => (/^\d+$/.test(p) ? p.padStart(5, '0') : `~${p}`))].join('.')
  }
  return [...groups.values()]
    .map((g) => ({ key: order(g.requirement.id), ...g }))
    // Code-point order, not localeCompare: collation puts '~' (appendices) before digits.
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ requirement, cases: list }) => ({ requirement, cases: list.sort((a, b) => SEVERITY.indexOf(a.outcome) - SEVERITY.indexOf(b.outcome)) }))
}

const MatrixView: FC<{ matrix: Matrix }> = ({ matrix }) => {
  const differing = matrix.rows.filter((r) => r.differ).length
  return (
    <section class="matrix" aria-labelledby="matrix-title">
      <h2 id="matrix-title">Comparison</h2>
      <p>
        <label>
          <input type="checkbox" id="only-differ" /> Only the {differing} cases where the targets differ
        </label>
      </p>
      <div class="matrix-scroll">
        <table class="matrix">
          <thead>
            <tr>
              <th scope="col">Case</th>
              {matrix.targets.map((t) => (
                <th scope="col">{t}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.rows.map((row) => (
              <tr class={row.differ ? 'differ' : 'same'}>
                <th scope="row">
                  <span class="title">{row.title}</span>{' '}
                  <a class="req" href={row.requirement.url} rel="noreferrer">
                    {row.requirement.label}
                  </a>{' '}
                  <span class="level">{row.level}</span>
                </th>
                {row.cells.map((c) =>
                  c.outcome ? (
                    <td class={c.outcome}>
                      <a href={`#${c.anchor}`} title={c.reason ?? c.outcome}>
                        {OUTCOME_MARK[c.outcome]} {c.outcome}
                      </a>
                    </td>
                  ) : (
                    <td class="absent">—</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

const TargetSection: FC<{ target: TargetResult; index: number }> = ({ target: t, index }) => {
  const attention = t.cases
    .filter((c) => c.outcome === 'failed' || c.outcome === 'errored' || c.outcome === 'warning')
    .sort((a, b) => SEVERITY.indexOf(a.outcome) - SEVERITY.indexOf(b.outcome))
  return (
    <section class="target" aria-labelledby={`target-${t.name}`}>
      <h2 id={`target-${t.name}`}>{t.name}</h2>
      <dl class="facts">
        <dt>Token endpoint</dt>
        <dd>
          <code>{t.tokenEndpoint ?? '—'}</code>
        </dd>
        {t.issuer && (
          <>
            <dt>Issuer</dt>
            <dd>
              <code>{t.issuer}</code> {t.discovery.url ? `(metadata: ${t.discovery.url})` : ''}
            </dd>
          </>
        )}
        <dt>Profile</dt>
        <dd>{t.profile}</dd>
        <dt>Requests</dt>
        <dd>
          {t.requests} in {(t.durationMs / 1000).toFixed(2)} s
        </dd>
      </dl>
      {t.error && <p class="alert">This target could not be run: {t.error}</p>}
      {!t.error && t.discovery.error && <p class="alert">{t.discovery.error}</p>}
      <ul class="counts" aria-label="cases per outcome">
        {OUTCOMES.map((o) => (
          <li class={`badge ${o}`}>
            <span class="n">{t.summary.outcomes[o]}</span> {o}
          </li>
        ))}
      </ul>
      <p class="score">
        MUST score <strong>{percent(t.summary.score.MUST)}</strong> · SHOULD score{' '}
        <strong>{percent(t.summary.score.SHOULD)}</strong>{' '}
        <span class="hint">(cases whose checks of that level all held, of those that judged one)</span>
      </p>
      {attention.length > 0 && (
        <nav class="attention" aria-label="cases that need attention">
          <h3>Needs attention</h3>
          <ul>
            {attention.map((c) => (
              <li>
                <span class={`badge ${c.outcome}`}>{c.outcome}</span> <Tags c={c} /> <a href={`#${caseAnchor(index, c.suite, c.id)}`}>{c.title}</a>
                {c.reason ? <span class="hint"> — {c.reason}</span> : ''}
              </li>
            ))}
          </ul>
        </nav>
      )}
      {groupBySection(t.cases).map((g) => (
        <section class="group" aria-label={`${g.requirement.document} section ${g.requirement.section}`}>
          <h3>
            <a href={g.requirement.url} rel="noreferrer">
              {g.requirement.label}
            </a>{' '}
            <span class="hint">{g.requirement.document.match(/\((.*)\)/)?.[1] ?? ''}</span>
          </h3>
          {g.cases.map((c) => (
            <CaseView c={c} anchor={caseAnchor(index, c.suite, c.id)} />
          ))}
        </section>
      ))}
    </section>
  )
}

/** Baseline change and acceptance, when there are any. */
const Tags: FC<{ c: CaseResult }> = ({ c }) => (
  <>
    {c.change && c.change !== 'unchanged' && <span class={`tag ${c.change}`}>{c.change}</span>}
    {c.accepted && (
      <span class="tag accepted" title={c.accepted}>
        accepted
      </span>
    )}
    {c.known && (
      <span class="tag known" title={c.known.behaviour}>
        known for {c.known.provider}
      </span>
    )}
  </>
)

const CaseView: FC<{ c: CaseResult; anchor: string }> = ({ c, anchor }) => (
  <details id={anchor} class={`case ${c.outcome}`} open={c.outcome === 'failed' || c.outcome === 'errored'}>
    <summary>
      <span class={`badge ${c.outcome}`} aria-label={c.outcome}>
        {OUTCOME_MARK[c.outcome]} {c.outcome}
      </span>{' '}
      <Tags c={c} />
      <span class="title">{c.title}</span> <span class="level">{c.level}</span>{' '}
      <code class="id">
        {c.suite}/{c.id}
      </code>
    </summary>
    <div class="body">
      <p class="reqs">
        {c.requirements.map((r) => (
          <a href={r.url} rel="noreferrer">
            {r.label}
          </a>
        ))}
      </p>
      {c.reason && <p class="reason">{c.reason}</p>}
      {c.accepted && <p class="accepted-note">Accepted deviation: {c.accepted}</p>}
      {c.known && (
        <p class="accepted-note">
          Known for {c.known.provider}: {c.known.behaviour} ({c.known.source})
        </p>
      )}
      {c.mutate && (
        <p>
          Deviates from the default request: <code>{JSON.stringify(c.mutate)}</code>
        </p>
      )}
      {c.checks.length > 0 && (
        <table class="checks">
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Level</th>
              <th scope="col">Outcome</th>
              <th scope="col">Expected</th>
              <th scope="col">Actual</th>
            </tr>
          </thead>
          <tbody>
            {c.checks.map((k) => (
              <tr class={k.outcome}>
                <td data-label="Check">
                  <code>{k.check}</code>
                  <div class="msg">{k.message}</div>
                </td>
                <td data-label="Level" class="lvl">
                  {k.level}
                </td>
                <td data-label="Outcome">
                  <span class={`badge ${k.outcome}`}>{k.outcome}</span>
                </td>
                <td data-label="Expected">{k.expected}</td>
                <td data-label="Actual">{k.actual}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.exchanges.map((e) => (
        <ExchangeView e={e} />
      ))}
      {c.accessToken && (
        <div class="jwt">
          <h4>Access token (decoded; the token itself is redacted)</h4>
          <pre>{JSON.stringify(c.accessToken.header, null, 2)}</pre>
          <pre>{JSON.stringify(c.accessToken.claims, null, 2)}</pre>
        </div>
      )}
    </div>
  </details>
)

const ExchangeView: FC<{ e: Exchange }> = ({ e }) => (
  <div class="exchange">
    <h4>{e.label}: request</h4>
    <pre>
      {`${e.request.method} ${e.request.url}\n${Object.entries(e.request.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}${e.request.body !== undefined ? `\n\n${e.request.body}` : ''}`}
    </pre>
    <h4>Response {e.response ? `(${Math.round(e.durationMs)} ms)` : ''}</h4>
    {e.response ? (
      <pre>
        {`HTTP ${e.response.status}\n${Object.entries(e.response.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n')}\n\n${e.response.body}${e.response.truncated ? `\n[truncated at ${e.response.bodyBytes} bytes]` : ''}`}
      </pre>
    ) : (
      <p class="alert">{e.error}</p>
    )}
    <h4>Reproduce</h4>
    <div class="curl">
      <pre>{e.curl}</pre>
      <button type="button" class="copy">
        Copy
      </button>
    </div>
  </div>
)
