/** The report's stylesheet, inlined so the file works offline. Colours meet WCAG AA on white. */
export const STYLES = `
:root { color-scheme: light; --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --bg:#fff; --code:#f6f8fa;
  --failed:#a40e26; --errored:#8a4600; --warning:#7a5a00; --info:#0550ae; --passed:#116329; --skipped:#57606a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 16px; }
h1 { font-size: 1.5rem; margin: 20px 0 4px; }
h2 { font-size: 1.25rem; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 18px 0 4px; } h3 a { color: var(--info); }
h4 { margin: 12px 0 4px; font-size: .9rem; }
.attention { border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; }
.attention ul { padding-left: 18px; margin: 4px 0 8px; } .attention li { margin: 2px 0; } .attention a { color: var(--fg); }
.meta, .hint { color: var(--muted); font-size: .85rem; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--code); padding: 8px 10px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; word-break: break-all; }
.counts { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: 999px; padding: 0 8px; font-size: .8rem; font-weight: 600; white-space: nowrap; }
.counts .badge { font-size: .9rem; padding: 2px 10px; } .counts .n { font-size: 1.05rem; }
.failed { color: var(--failed); } .errored { color: var(--errored); } .warning { color: var(--warning); }
.info { color: var(--info); } .passed { color: var(--passed); } .skipped { color: var(--skipped); }
details.case { border: 1px solid var(--line); border-left: 4px solid currentColor; border-radius: 6px; margin: 6px 0; color: var(--fg); }
details.case.failed { border-left-color: var(--failed); } details.case.errored { border-left-color: var(--errored); }
details.case.warning { border-left-color: var(--warning); } details.case.info { border-left-color: var(--info); }
details.case.passed { border-left-color: var(--passed); } details.case.skipped { border-left-color: var(--skipped); }
summary { cursor: pointer; padding: 6px 10px; display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline; }
summary:focus-visible { outline: 2px solid var(--info); outline-offset: 2px; }
.title { font-weight: 600; } .level { font-size: .75rem; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
.id { color: var(--muted); font-size: .8rem; }
.body { padding: 0 12px 12px; }
.reqs a { margin-right: 10px; color: var(--info); }
.reason { font-weight: 600; }
.alert { border: 1px solid var(--errored); color: var(--errored); padding: 6px 10px; border-radius: 6px; }
table.checks { border-collapse: collapse; width: 100%; font-size: .85rem; margin-top: 8px; }
table.checks th, table.checks td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; word-break: break-word; }
table.checks tr > td:first-child { color: var(--fg); } .msg { color: var(--muted); }
table.checks td:nth-child(4), table.checks td:nth-child(5) { color: var(--fg); }
table.checks td.lvl { white-space: nowrap; }
.tag { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: .75rem; font-weight: 700; color: #fff; background: var(--skipped); }
.tag.new-failure { background: var(--failed); } .tag.fixed { background: var(--passed); } .tag.still-failing { background: var(--errored); } .tag.accepted, .tag.known { background: var(--info); }
.accepted-note { color: var(--info); }
.curl { position: relative; } .curl pre { padding-right: 64px; }
.copy { position: absolute; top: 4px; right: 4px; font: inherit; font-size: .8rem; padding: 2px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
.copy:focus-visible { outline: 2px solid var(--info); }
.matrix-scroll { overflow-x: auto; }
table.matrix { border-collapse: collapse; font-size: .85rem; }
table.matrix th, table.matrix td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; white-space: nowrap; }
table.matrix th[scope=row] { white-space: normal; min-width: 260px; font-weight: normal; }
table.matrix td a { color: inherit; font-weight: 600; } table.matrix .req { color: var(--info); font-size: .8rem; }
body:has(#only-differ:checked) table.matrix tr.same { display: none; }
@media (max-width: 640px) { table.checks thead { display: none; } table.checks td { display: block; border: 0; padding: 2px 6px; }
  table.checks td::before { content: attr(data-label) ": "; color: var(--muted); font-size: .75rem; }
  table.checks tr { display: block; border-top: 1px solid var(--line); padding: 4px 0; } }
`

/** Copy buttons for the curl lines, and opening a case when a link (or the address) points at it. */
export const SCRIPT = `
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('button.copy'); if (!b) return
  var text = b.previousElementSibling.textContent, done = function () { b.textContent = 'Copied' }
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done)
  else { var r = document.createRange(); r.selectNodeContents(b.previousElementSibling); var s = getSelection(); s.removeAllRanges(); s.addRange(r); document.execCommand('copy'); done() }
})
function openTarget() { var el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1))); if (el && el.tagName === 'DETAILS') el.open = true }
addEventListener('hashchange', openTarget); openTarget()
`
