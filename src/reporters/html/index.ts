/**
 * The HTML report: one self-contained file (inline CSS, one small inline script, no external
 * assets) that opens from file:// and explains every verdict with its evidence.
 *
 * The views are functions over the {@link html} template, which escapes every interpolated value
 * like hono/jsx does, and print the same markup; they build strings instead of a JSX node tree
 * because a 10-target matrix (800 cases with their evidence, 3.4 MB) took ~100 ms as a tree.
 *
 * @module
 */
import { OUTCOMES, type CaseResult, type Exchange, type Outcome, type Report, type TargetResult } from '../../schema/report.ts'
import { buildMatrix, caseAnchor, type Matrix, type MatrixRow } from '../matrix.ts'
import { OUTCOME_MARK } from '../text.ts'
import { SCRIPT, STYLES } from './styles.ts'
import { percent } from '../format.ts'
import { html, raw, type Html } from './markup.ts'
import { requirementDocument, requirementSection } from '../../schema/requirements.ts'

const SEVERITY: Outcome[] = ['failed', 'errored', 'warning', 'info', 'passed', 'skipped']
const bySeverity = (a: CaseResult, b: CaseResult) => SEVERITY.indexOf(a.outcome) - SEVERITY.indexOf(b.outcome)

/** Renders the report as a complete HTML document. */
export function renderHtml(report: Report): string {
  // Concatenated, not joined: V8 keeps `+` as a rope, where join copies every piece once more.
  let out = ''
  for (const piece of renderHtmlParts(report)) out += piece
  return out
}

/**
 * The same document as {@link renderHtml} in pieces of about a case each, so the CLI can write a
 * large matrix without holding it whole. Pieces stay small on purpose: V8 puts a string over
 * 128 KB in its large-object space, which only a full collection frees; a 10-target matrix
 * written a target (340 KB) at a time left 12–19 MB of those behind at the run's peak.
 */
export function* renderHtmlParts(report: Report): Generator<string> {
  yield `<!doctype html>${pageStart(report).value}`
  for (let i = 0; i < report.targets.length; i++) yield* targetSection(report.targets[i]!, i)
  yield pageEnd().value
}

function pageStart(report: Report): Html {
  return html`<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><title>grantcheck report — ${report.targets.map((t) => t.name).join(', ')}</title><style>${
    // Raw: the stylesheet is our own constant, and escaping would break its selectors.
    raw(STYLES)
  }</style></head><body><header><h1>grantcheck report</h1><p class="meta">Run <code>${report.runId}</code> · ${report.startedAt} · grantcheck ${report.tool.version} · suites: ${report.suites
    .map((s) => `${s.id} (${s.cases})`)
    .join(', ')}</p></header><main>${
    report.baseline && html`<p class="meta">Compared with run <code>${report.baseline.runId}</code> (${report.baseline.startedAt}).</p>`
  }${report.targets.length > 1 && matrixView(buildMatrix(report))}`
}

function pageEnd(): Html {
  return html`</main><script>${
    // The only script: copy buttons, and opening a case when a link points at it.
    raw(SCRIPT)
  }</script></body></html>`
}

/**
 * A requirement's link, only if it is a web address: a report loaded from a file (`report`,
 * `compare`, the Worker's stored runs) could otherwise carry a `javascript:` link into the page.
 */
function webLink(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '#'
}

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
    const [doc, section] = [requirementDocument(id), requirementSection(id)]
    // RFCs in number order first, then errata and other documents; appendices after sections.
    const docKey = doc.startsWith('RFC') ? doc : `~${doc}`
    return [docKey, ...section.split('.').map((p) => (/^\d+$/.test(p) ? p.padStart(5, '0') : `~${p}`))].join('.')
  }
  return (
    [...groups.values()]
      .map((g) => ({ key: order(g.requirement.id), ...g }))
      // Code-point order, not localeCompare: collation puts '~' (appendices) before digits.
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ requirement, cases: list }) => ({ requirement, cases: list.sort(bySeverity) }))
  )
}

function matrixView(matrix: Matrix): Html {
  const differing = matrix.rows.filter((r) => r.differ).length
  return html`<section class="matrix" aria-labelledby="matrix-title"><h2 id="matrix-title">Comparison</h2><p><label><input type="checkbox" id="only-differ"/> Only the ${differing} cases where the targets differ</label></p><div class="matrix-scroll"><table class="matrix"><thead><tr><th scope="col">Case</th>${matrix.targets.map(
    (t) => html`<th scope="col">${t}</th>`,
  )}</tr></thead><tbody>${matrix.rows.map(matrixRow)}</tbody></table></div></section>`
}

function matrixRow(row: MatrixRow): Html {
  return html`<tr class="${row.differ ? 'differ' : 'same'}"><th scope="row"><span class="title">${row.title}</span> <a class="req" href="${webLink(row.requirement.url)}" rel="noreferrer">${row.requirement.label}</a> <span class="level">${row.level}</span></th>${row.cells.map(
    matrixCell,
  )}</tr>`
}

function matrixCell(c: MatrixRow['cells'][number]): Html {
  return c.outcome ? html`<td class="${c.outcome}"><a href="#${c.anchor}" title="${c.reason ?? c.outcome}">${OUTCOME_MARK[c.outcome]} ${c.outcome}</a></td>` : html`<td class="absent">—</td>`
}

/** A target's section in pieces of about a case each (see {@link renderHtmlParts}). */
function* targetSection(t: TargetResult, index: number): Generator<string> {
  const attention = t.cases.filter((c) => c.outcome === 'failed' || c.outcome === 'errored' || c.outcome === 'warning').sort(bySeverity)
  yield html`<section class="target" aria-labelledby="target-${t.name}"><h2 id="target-${t.name}">${t.name}</h2>${targetFacts(t)}${
    t.error && html`<p class="alert">This target could not be run: ${t.error}</p>`
  }${!t.error && t.discovery.error && html`<p class="alert">${t.discovery.error}</p>`}<ul class="counts" aria-label="cases per outcome">${OUTCOMES.map(
    (o) => html`<li class="badge ${o}"><span class="n">${t.summary.outcomes[o]}</span> ${o}</li>`,
  )}</ul><p class="score">MUST score <strong>${percent(t.summary.score.MUST)}</strong> · SHOULD score <strong>${percent(
    t.summary.score.SHOULD,
  )}</strong> <span class="hint">(cases whose checks of that level all held, of those that judged one)</span></p>${attention.length > 0 && attentionList(attention, index)}`.value
  for (const g of groupBySection(t.cases)) {
    yield html`<section class="group" aria-label="${g.requirement.document} section ${g.requirement.section}"><h3><a href="${webLink(g.requirement.url)}" rel="noreferrer">${
      g.requirement.label
    }</a> <span class="hint">${g.requirement.document.match(/\((.*)\)/)?.[1] ?? ''}</span></h3>`.value
    for (const c of g.cases) yield caseView(c, caseAnchor(index, c.suite, c.id)).value
    yield '</section>'
  }
  yield '</section>'
}

function targetFacts(t: TargetResult): Html {
  return html`<dl class="facts"><dt>Token endpoint</dt><dd><code>${t.tokenEndpoint ?? '—'}</code></dd>${
    t.issuer && html`<dt>Issuer</dt><dd><code>${t.issuer}</code> ${t.discovery.url ? `(metadata: ${t.discovery.url})` : ''}</dd>`
  }<dt>Profile</dt><dd>${t.profile}</dd>${
    // Beside the profile: the rules that decide whether audience outcomes fail, and the audience used.
    t.clientAuthProfile && html`<dt>Client authentication profile</dt><dd>${t.clientAuthProfile}</dd>`
  }${
    t.assertionAudience &&
    html`<dt>Assertion audience</dt><dd><code>${JSON.stringify(t.assertionAudience.value)}</code>${t.assertionAudience.typ ? html`, typ <code>${t.assertionAudience.typ}</code>` : ''} (${audienceSource(t.assertionAudience)})</dd>`
  }<dt>Requests</dt><dd>${t.requests} in ${(t.durationMs / 1000).toFixed(2)} s</dd></dl>${t.findings?.length && findingsView(t.findings)}`
}

/** How the run's assertion audience was chosen, in words. */
function audienceSource(a: NonNullable<TargetResult['assertionAudience']>): string {
  if (a.source === 'target') return 'set in the target'
  if (a.source === 'default') return a.note ?? 'the default'
  return `the first the server accepted of ${(a.tried ?? []).map((t) => `${t.aud}${t.typ ? ` typed ${t.typ}` : ''}`).join(', ')}${a.note ? `; ${a.note}` : ''}`
}

function findingsView(findings: NonNullable<TargetResult['findings']>): Html {
  return html`<section class="findings" aria-label="findings"><h3>Findings</h3><dl class="facts">${findings.map(
    (f) => html`<dt>${f.title}</dt><dd><strong>${f.value}</strong>${f.detail ? html` <span class="hint">— ${f.detail}</span>` : ''}</dd>`,
  )}</dl></section>`
}

function attentionList(cases: CaseResult[], index: number): Html {
  return html`<nav class="attention" aria-label="cases that need attention"><h3>Needs attention</h3><ul>${cases.map(
    (c) =>
      html`<li><span class="badge ${c.outcome}">${c.outcome}</span> ${tags(c)} <a href="#${caseAnchor(index, c.suite, c.id)}">${c.title}</a>${
        c.reason ? html`<span class="hint"> — ${c.reason}</span>` : ''
      }</li>`,
  )}</ul></nav>`
}

/** Baseline change and acceptance, when there are any. */
function tags(c: CaseResult): Html {
  return html`${c.change && c.change !== 'unchanged' && html`<span class="tag ${c.change}">${c.change}</span>`}${
    c.accepted && html`<span class="tag accepted" title="${c.accepted}">accepted</span>`
  }${c.known && html`<span class="tag known" title="${c.known.behaviour}">known for ${c.known.provider}</span>`}`
}

function caseView(c: CaseResult, anchor: string): Html {
  const open = c.outcome === 'failed' || c.outcome === 'errored'
  return html`<details id="${anchor}" class="case ${c.outcome}"${open && raw(' open=""')}><summary><span class="badge ${c.outcome}" aria-label="${c.outcome}">${
    OUTCOME_MARK[c.outcome]
  } ${c.outcome}</span> ${tags(c)}<span class="title">${c.title}</span> <span class="level">${c.level}</span> <code class="id">${c.suite}/${c.id}</code></summary><div class="body"><p class="reqs">${c.requirements.map(
    (r) => html`<a href="${webLink(r.url)}" rel="noreferrer">${r.label}</a>`,
  )}</p>${c.reason && html`<p class="reason">${c.reason}</p>`}${c.accepted && html`<p class="accepted-note">Accepted deviation: ${c.accepted}</p>`}${
    c.known && html`<p class="accepted-note">Known for ${c.known.provider}: ${c.known.behaviour} (${c.known.source})</p>`
  }${c.request && html`<p>The request as the suite describes it: <code>${JSON.stringify(c.request)}</code></p>`}${c.checks.length > 0 && checksTable(c.checks)}${c.exchanges.map(exchangeView)}${
    c.accessToken &&
    html`<div class="jwt"><h4>Access token (decoded; the token itself is redacted)</h4><pre>${JSON.stringify(c.accessToken.header, null, 2)}</pre><pre>${JSON.stringify(
      c.accessToken.claims,
      null,
      2,
    )}</pre></div>`
  }</div></details>`
}

function checksTable(checks: CaseResult['checks']): Html {
  return html`<table class="checks"><thead><tr><th scope="col">Check</th><th scope="col">Level</th><th scope="col">Outcome</th><th scope="col">Expected</th><th scope="col">Actual</th></tr></thead><tbody>${checks.map(
    (k) =>
      html`<tr class="${k.outcome}"><td data-label="Check"><code>${k.check}</code><div class="msg">${k.message}</div></td><td data-label="Level" class="lvl">${
        k.level
      }</td><td data-label="Outcome"><span class="badge ${k.outcome}">${k.outcome}</span></td><td data-label="Expected">${k.expected}</td><td data-label="Actual">${k.actual}</td></tr>`,
  )}</tbody></table>`
}

/** `Name: value` lines, as the request and response blocks show headers. */
const headerLines = (headers: Array<[string, string]>): string => headers.map(([k, v]) => `${k}: ${v}`).join('\n')

function exchangeView(e: Exchange): Html {
  const tls = e.request.certificate ? `(TLS client certificate: ${e.request.certificate})\n` : ''
  const request = `${tls}${e.request.method} ${e.request.url}\n${headerLines(e.request.headers)}${e.request.body !== undefined ? `\n\n${e.request.body}` : ''}`
  return html`<div class="exchange"><h4>${e.label}: request</h4><pre>${request}</pre><h4>Response ${e.response ? `(${Math.round(e.durationMs)} ms)` : ''}</h4>${
    e.response
      ? html`<pre>${`HTTP ${e.response.status}\n${headerLines(e.response.headers)}\n\n${e.response.body}${e.response.truncated ? `\n[truncated at ${e.response.bodyBytes} bytes]` : ''}`}</pre>`
      : html`<p class="alert">${e.error}</p>`
  }<h4>Reproduce</h4><div class="curl"><pre>${e.curl}</pre><button type="button" class="copy">Copy</button></div></div>`
}
