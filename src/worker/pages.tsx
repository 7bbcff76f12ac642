/** The dashboard: each configured target's latest verdict counts, its recent trend, its reports. */
import { raw } from 'hono/html'
import type { FC } from 'hono/jsx'
import { OUTCOMES } from '../schema/report.ts'
import { STYLES } from '../reporters/html/styles.ts'
import type { IndexEntry } from './store.ts'

export interface TargetRow {
  name: string
  tokenEndpoint?: string
  issuer?: string
  runs: IndexEntry[]
}

export function renderDashboard(rows: TargetRow[]): string {
  return `<!doctype html>${(<Dashboard rows={rows} />).toString()}`
}

const Dashboard: FC<{ rows: TargetRow[] }> = ({ rows }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>grantcheck dashboard</title>
      <style>{raw(STYLES)}</style>
    </head>
    <body>
      <header>
        <h1>grantcheck dashboard</h1>
        <p class="meta">{rows.length} configured target(s); scheduled runs flag drift (cases failing now that passed before).</p>
      </header>
      <main>
        {rows.map((t) => {
          const latest = t.runs[0]
          return (
            <section class="target" aria-labelledby={`t-${t.name}`}>
              <h2 id={`t-${t.name}`}>{t.name}</h2>
              <p class="meta">
                <code>{t.issuer ?? t.tokenEndpoint ?? ''}</code>
              </p>
              {!latest && <p>No run yet.</p>}
              {latest?.error && <p class="alert">Last run could not be made: {latest.error}</p>}
              {latest && !latest.error && (
                <>
                  <ul class="counts" aria-label="latest run">
                    {OUTCOMES.map((o) => (
                      <li class={`badge ${o}`}>
                        <span class="n">{latest.counts[o]}</span> {o}
                      </li>
                    ))}
                  </ul>
                  {latest.newFailures > 0 && <p class="alert">{latest.newFailures} new failure(s) since the previous run</p>}
                </>
              )}
              {t.runs.length > 0 && (
                <table class="checks" aria-label="recent runs">
                  <thead>
                    <tr>
                      <th scope="col">Run</th>
                      <th scope="col">Started</th>
                      <th scope="col">passed</th>
                      <th scope="col">failed</th>
                      <th scope="col">warning</th>
                      <th scope="col">errored</th>
                      <th scope="col">drift</th>
                    </tr>
                  </thead>
                  <tbody>
                    {t.runs.map((r) => (
                      <tr>
                        <td>{r.id ? <a href={`/runs/${r.id}`}>{r.id}</a> : 'not run'}</td>
                        <td>{r.startedAt}</td>
                        <td>{r.counts.passed}</td>
                        <td class={r.counts.failed ? 'failed' : ''}>{r.counts.failed}</td>
                        <td>{r.counts.warning}</td>
                        <td>{r.counts.errored}</td>
                        <td>{r.error ? r.error : r.newFailures ? `${r.newFailures} new` : ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          )
        })}
      </main>
    </body>
  </html>
)
