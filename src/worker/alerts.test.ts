import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signature, slackMessage, type Alert } from './alerts.ts'

const alert: Alert = {
  event: 'grantcheck.alert',
  id: 'r1-alert',
  at: '2026-12-01T00:00:00Z',
  target: 'okta <prod>',
  run: { id: 'r1', trigger: 'schedule', link: 'https://gc.example/runs/r1' },
  targetChange: { change: 'recovered', since: '2026-12-01T00:00:00Z' },
  cases: [
    {
      case: 'scope/scope-unknown',
      title: 'An unknown scope is refused',
      change: 'new-failure',
      outcome: 'failed',
      level: 'MUST',
      requirement: { id: 'RFC6749-3.3', label: 'RFC 6749 §3.3', url: 'https://x' },
      reason: 'error is "<@channel> <https://evil|click>"',
      evidence: 'https://gc.example/runs/r1#t0-scope-scope-unknown',
    },
  ],
}

describe('alerts', () => {
  it('sign "t.body" with HMAC-SHA256, as a receiver recomputes it', async () => {
    const sig = await signature('s3cret', '{"a":1}', 1_800_000_000)
    expect(sig).toBe(`t=1800000000,v1=${createHmac('sha256', 's3cret').update('1800000000.{"a":1}').digest('hex')}`)
  })

  it("in Slack format, say what changed, link the evidence, and keep a server's text from becoming a mention or a link", () => {
    const m = slackMessage(alert)
    expect(m.text).toBe('grantcheck: okta &lt;prod&gt; is back up, 1 new failure(s)')
    const body = JSON.stringify(m.blocks)
    expect(body).toContain('<https://gc.example/runs/r1#t0-scope-scope-unknown|scope/scope-unknown>')
    expect(body).toContain('&lt;@channel&gt; &lt;https://evil|click&gt;')
    expect(body).not.toContain('<@channel>')
  })

  it("in Slack format, keep a server's *, _, ~ and ` from formatting the message", () => {
    const m = slackMessage({ ...alert, cases: [{ ...alert.cases[0]!, reason: 'error is *URGENT* _now_ ~ok~ `rm -rf`' }] })
    const lines = (m.blocks[1] as { text: { text: string } }).text.text
    for (const ch of ['*', '_', '~', '`'])
      expect(
        lines
          .split(ch)
          .slice(1)
          .every((after, i, all) => i === all.length || after.startsWith('\u200b')),
      ).toBe(true)
    expect(lines).toContain('\u200b*\u200bURGENT\u200b*\u200b')
    expect(lines.replace(/\u200b/g, '')).toContain('error is *URGENT* _now_ ~ok~ `rm -rf`')
  })
})
