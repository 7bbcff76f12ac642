import { describe, expect, it } from 'vitest'
import { parseConfiguration, settings } from './config.ts'

const target = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  issuer: 'https://as.example',
  clients: { primary: { clientId: 'c', authMethod: 'client_secret_basic', clientSecret: { env: 'S' } } },
  scopes: { valid: ['read'] },
  ...extra,
})

describe('the targets configuration', () => {
  it('monitors the valid entries and reports each broken one by index and field, without stopping the others', () => {
    const text = JSON.stringify([
      target('a'),
      target('b', { issuer: 'not a url' }),
      target('c', { monitor: { everyMinutes: 0 } }),
      target('a'),
      'x',
      target('d', { monitor: { everyMinutes: 15, suites: ['scope'], concurrency: 2, confirm: 0 } }),
    ])
    const { monitors, problems } = parseConfiguration(text, { everyMinutes: 60, confirm: 1 })
    expect(monitors.map((m) => [m.target.name, m.everyMinutes, m.suites, m.concurrency, m.confirm])).toEqual([
      ['a', 60, undefined, 1, 1],
      ['d', 15, ['scope'], 2, 0],
    ])
    expect(problems.map((p) => p.where)).toEqual(['GRANTCHECK_TARGETS[1].issuer', 'GRANTCHECK_TARGETS[2].monitor.everyMinutes', 'GRANTCHECK_TARGETS[3].name', 'GRANTCHECK_TARGETS[4]'])
    expect(problems[2]!.message).toContain('already the name of an earlier entry')
    expect(problems[1]!.name).toBe('c')
  })

  it('says what is wrong with a value that is not a JSON array', () => {
    expect(parseConfiguration('{', { everyMinutes: 60, confirm: 1 }).problems).toEqual([{ where: 'GRANTCHECK_TARGETS', message: 'is not JSON' }])
    expect(parseConfiguration('{}', { everyMinutes: 60, confirm: 1 }).problems[0]!.message).toMatch(/JSON array/)
    expect(parseConfiguration(undefined, { everyMinutes: 60, confirm: 1 })).toEqual({ monitors: [], problems: [] })
  })

  it('reads settings with their defaults, and falls back on malformed values', () => {
    expect(settings({} as never)).toEqual({ maxSubrequests: 1000, confirm: 1, retentionDays: 90, everyMinutes: 60, publicBadges: false })
    expect(settings({ MAX_SUBREQUESTS: '50', CONFIRM_FAILURES: '0', RETENTION_DAYS: 'x', PUBLIC_BADGES: 'true' } as never)).toMatchObject({
      maxSubrequests: 50,
      confirm: 0,
      retentionDays: 90,
      publicBadges: true,
    })
    expect(settings({ CONFIRM_FAILURES: '9' } as never).confirm).toBe(3)
  })
})
