import { describe, expect, it } from 'vitest'
import { mergeConfiguration, parseConfiguration, settings, validateEntry } from './config.ts'

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

  it('monitors stored targets first; an entry of GRANTCHECK_TARGETS with a stored name is reported and the stored one wins', () => {
    const rows = [
      { name: 'a', body: JSON.stringify(target('a', { monitor: { everyMinutes: 5 } })) },
      { name: 'b', body: '{' },
      { name: 'c', body: JSON.stringify(target('not-c')) },
    ]
    const { monitors, problems } = mergeConfiguration(rows, JSON.stringify([target('a'), target('z')]), { everyMinutes: 60, confirm: 1 })
    expect(monitors.map((m) => [m.target.name, m.everyMinutes])).toEqual([
      ['a', 5],
      ['z', 60],
    ])
    expect(problems.map((p) => p.where)).toEqual(['targets["b"]', 'targets["c"].name', 'GRANTCHECK_TARGETS[0].name'])
    expect(problems[2]!.message).toContain('also a stored target')
  })

  it('refuses a literal secret in a stored target, even on loopback, naming the field; the variable keeps accepting it there', () => {
    const local = target('local', { issuer: 'http://127.0.0.1:4455', clients: { primary: { clientId: 'c', authMethod: 'client_secret_basic', clientSecret: 'literal' } } })
    expect(validateEntry(local, { everyMinutes: 60, confirm: 1 }).issues).toBeUndefined()
    const stored = validateEntry(local, { everyMinutes: 60, confirm: 1 }, { stored: true })
    expect(stored.issues?.map((i) => i.path.join('.'))).toEqual(['clients.primary.clientSecret'])
    expect(stored.issues?.[0]?.message).toMatch(/no literal secret.*\{ "env": "VAR" \}/)
  })

  it('reads settings with their defaults, and falls back on malformed values', () => {
    expect(settings({} as never)).toEqual({ maxSubrequests: 1000, confirm: 1, confirmOf: undefined, confirmAfterMinutes: 5, retentionDays: 90, everyMinutes: 60, publicBadges: false })
    expect(settings({ MAX_SUBREQUESTS: '50', CONFIRM_FAILURES: '0', RETENTION_DAYS: 'x', PUBLIC_BADGES: 'true' } as never)).toMatchObject({
      maxSubrequests: 50,
      confirm: 0,
      retentionDays: 90,
      publicBadges: true,
    })
    expect(settings({ CONFIRM_FAILURES: '9' } as never).confirm).toBe(3)
    expect(settings({ CONFIRM_OF: '3', CONFIRM_AFTER_MINUTES: '0.5' } as never)).toMatchObject({ confirmOf: 3, confirmAfterMinutes: 0.5 })
    expect(settings({ CONFIRM_OF: 'x', CONFIRM_AFTER_MINUTES: '-1' } as never)).toMatchObject({ confirmOf: 1, confirmAfterMinutes: 5 })
  })

  it('confirms a change by N of M observations after a delay: M kept between N and 2N - 2 (issue 25)', () => {
    const entry = (monitor: object) => validateEntry({ ...target('a'), monitor }, { everyMinutes: 60, confirm: 1 }).monitor!
    expect(entry({})).toMatchObject({ confirm: 1, confirmOf: 2, confirmAfterMinutes: 5 })
    expect(entry({ confirm: 2, confirmOf: 4, confirmAfterMinutes: 10 })).toMatchObject({ confirm: 2, confirmOf: 4, confirmAfterMinutes: 10 })
    expect(entry({ confirm: 2, confirmOf: 8 }).confirmOf).toBe(4)
    expect(validateEntry({ ...target('a'), monitor: { confirmAfterMinutes: 61 } }, { everyMinutes: 60, confirm: 1 }).issues?.[0]?.path).toEqual(['monitor', 'confirmAfterMinutes'])
  })
})
