/**
 * Provider profiles: they load and validate, their init templates validate against the target
 * schema, and a profile's documented deviations label cases without changing any verdict.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHECKS } from '../src/checks/index.ts'
import { loadProfileFile, profileFiles } from '../src/node/files.ts'
import { targetTemplate } from '../src/cli/init.ts'
import { main, type Io } from '../src/cli/main.ts'
import { TargetSchema } from '../src/schema/target.ts'
import { builtinSuites } from './_run.ts'

const profiles = [...profileFiles()].map(([id, file]) => ({ id, profile: loadProfileFile(file) }))
const caseIds = new Set(builtinSuites().flatMap((s) => s.cases.map((c) => `${s.suite.id}/${c.case.id}`)))

describe('provider profiles', () => {
  it('include the five providers and the two generic profiles, each valid', () => {
    expect(profiles.map((p) => p.id).sort()).toEqual(['auth0', 'cognito', 'entra', 'keycloak', 'oauth21', 'okta', 'rfc6749'])
    for (const { id, profile } of profiles) expect(profile.id, id).toBe(id)
  })

  it('document deviations only of existing cases and checks, each with its source', () => {
    for (const { id, profile } of profiles)
      for (const d of profile.deviations) {
        if (d.case === '*') expect(CHECKS.has(d.check ?? ''), `${id}: "*" needs a known check`).toBe(true)
        else expect(caseIds, `${id}: ${d.case}`).toContain(d.case)
        expect(d.source).toMatch(/PROVIDERS\.md/)
      }
  })

  it.each(profiles.map((p) => [p.id, p.profile] as const))('%s: the init template validates against the target schema', (_id, profile) => {
    const parsed = TargetSchema.safeParse(targetTemplate(profile))
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true)
  })

  it('init writes the template and prints the provider setup steps', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'grantcheck-init-')), 'auth0.json')
    const lines: string[] = []
    const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, color: false }
    expect(await main(['init', '--provider', 'auth0', '--output', out], io)).toBe(0)
    const written = TargetSchema.parse(JSON.parse(readFileSync(out, 'utf8')))
    expect(written).toMatchObject({ profile: 'auth0', issuer: 'https://TENANT/', audience: 'https://API.example' })
    expect(lines.join('\n')).toContain('Machine to Machine')
    expect(await main(['init', '--provider', 'auth0', '--output', out], io)).toBe(2)
    expect(await main(['init', '--provider', 'nope'], io)).toBe(2)
  })
})
