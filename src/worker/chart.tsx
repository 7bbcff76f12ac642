/**
 * A target's trend as an inline SVG, drawn on the server (no script, no external asset): the
 * pass rate of each finished run and its mean time per request, oldest on the left.
 */
import type { FC } from 'hono/jsx'
import type { RunRow } from './store.ts'

const W = 640
const H = 180
const PAD = { left: 44, right: 56, top: 12, bottom: 28 }

/** Passed (and info) among the cases that were judged; undefined when nothing was judged. */
export function passRate(counts: NonNullable<RunRow['counts']>): number | undefined {
  const good = counts.passed + counts.info
  const judged = good + counts.failed + counts.warning
  return judged ? good / judged : undefined
}

function msPerRequest(run: RunRow): number | undefined {
  return run.durationMs !== undefined && run.requests ? run.durationMs / run.requests : undefined
}

export const TrendChart: FC<{ runs: RunRow[] }> = ({ runs }) => {
  const done = runs.filter((r) => r.status === 'done' && r.counts).reverse()
  if (done.length < 2) return <p class="meta">The trend appears after two finished runs.</p>
  const x = (i: number) => PAD.left + (i * (W - PAD.left - PAD.right)) / (done.length - 1)
  const plotH = H - PAD.top - PAD.bottom
  const latencies = done.map(msPerRequest)
  const maxMs = Math.max(1, ...latencies.filter((v): v is number => v !== undefined))
  const rateY = (v: number) => PAD.top + (1 - v) * plotH
  const msY = (v: number) => PAD.top + (1 - v / maxMs) * plotH
  const rates = done.map((r) => passRate(r.counts!))
  const path = (values: Array<number | undefined>, y: (v: number) => number) =>
    values
      .map((v, i) => (v === undefined ? '' : `${i && values[i - 1] !== undefined ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter(Boolean)
      .join(' ')
  return (
    <figure class="trend">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`Pass rate and time per request over the last ${done.length} runs`}>
        <line class="axis" x1={PAD.left} y1={PAD.top + plotH} x2={W - PAD.right} y2={PAD.top + plotH} />
        {[0, 0.5, 1].map((v) => (
          <>
            <line class="grid" x1={PAD.left} y1={rateY(v)} x2={W - PAD.right} y2={rateY(v)} />
            <text class="tick" x={PAD.left - 6} y={rateY(v) + 4} text-anchor="end">
              {`${Math.round(v * 100)}%`}
            </text>
          </>
        ))}
        <text class="tick" x={W - PAD.right + 6} y={PAD.top + 4}>{`${maxMs.toFixed(0)} ms`}</text>
        <text class="tick" x={W - PAD.right + 6} y={PAD.top + plotH + 4}>
          0 ms
        </text>
        <path class="rate" d={path(rates, rateY)} />
        <path class="latency" d={path(latencies, msY)} />
        {done.map((r, i) => {
          const rate = rates[i]
          return rate === undefined ? (
            <circle class="down" cx={x(i)} cy={PAD.top + plotH} r="4">
              <title>{`${r.finishedAt ?? r.requestedAt}: nothing judged (${r.error ?? 'every case errored'})`}</title>
            </circle>
          ) : (
            <circle class="point" cx={x(i)} cy={rateY(rate)} r="3">
              <title>{`${r.finishedAt ?? r.requestedAt}: ${Math.round(rate * 100)}% passed, ${msPerRequest(r)?.toFixed(0) ?? '?'} ms per request (${r.trigger})`}</title>
            </circle>
          )
        })}
        <text class="tick" x={PAD.left} y={H - 8}>
          {(done[0]!.finishedAt ?? '').slice(0, 16)}
        </text>
        <text class="tick" x={W - PAD.right} y={H - 8} text-anchor="end">
          {(done.at(-1)!.finishedAt ?? '').slice(0, 16)}
        </text>
      </svg>
      <figcaption class="meta">
        <span class="key rate">━</span> pass rate (passed among judged cases) · <span class="key latency">━</span> mean time per request · runs where nothing could be judged are marked on the axis
      </figcaption>
    </figure>
  )
}
