/**
 * The generated built-in data: what it holds is the sources' (a stale src/generated/builtin.json
 * fails here: run `npm run build`), validated, with the real version.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CatalogueSchema } from '../schema/catalogue.ts'
import { ProfileSchema } from '../schema/profile.ts'
import { builtinCatalogues, builtinProfiles, builtinSuites, profileFor, TOOL_VERSION } from './builtin.ts'
import { InputInvalidError } from './errors.ts'
import { planBundle } from './plan.ts'

const ROOT = join(import.meta.dirname, '../..')
const yamlIn = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .sort()
const read = (file: string) => parse(readFileSync(join(ROOT, file), 'utf8')) as unknown
const STALE = 'src/generated/builtin.json differs from the sources: run `npm run build`'

describe('built-in data', () => {
  it("gives package.json's version", () => {
    expect(TOOL_VERSION).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  })

  it('holds every profile of profiles/, by file name, validated and equal to its source', () => {
    const files = yamlIn('profiles')
    expect([...builtinProfiles().keys()]).toEqual(files.map((f) => f.replace(/\.yaml$/, '')))
    for (const f of files) expect(builtinProfiles().get(f.replace(/\.yaml$/, '')), `${f}: ${STALE}`).toEqual(ProfileSchema.parse(read(`profiles/${f}`)))
    expect(builtinProfiles().get('okta')!.deviations.length).toBeGreaterThan(0)
  })

  it('holds every built-in suite as its source, planned once, and the requirement catalogues', () => {
    const suites = yamlIn('suites').map((f) => ({ file: `suites/${f}`, data: read(`suites/${f}`) }))
    const fromSources = planBundle({ groups: { file: 'suites/_groups.yaml', data: read('suites/_groups.yaml') }, suites })
    expect(
      builtinSuites().map((s) => [s.file, s.suite]),
      STALE,
    ).toEqual(fromSources.map((s) => [s.file, s.suite]))
    expect(builtinSuites()).toBe(builtinSuites())
    expect(builtinCatalogues(), STALE).toEqual(yamlIn('requirements').map((f) => ({ file: `requirements/${f}`, catalogue: CatalogueSchema.parse(read(`requirements/${f}`)) })))
  })

  it('finds the profile a target names, none when it names none', () => {
    expect(profileFor({ name: 't', profile: 'okta' })).toBe(builtinProfiles().get('okta'))
    expect(profileFor({ name: 't' })).toBeUndefined()
  })

  it('refuses an unknown profile name as a config error on the "profile" field, naming where the target came from', () => {
    let refusal: unknown
    try {
      profileFor({ name: 'mine', profile: 'ping-federate' }, 'targets/mine.json')
    } catch (e) {
      refusal = e
    }
    expect(refusal).toBeInstanceOf(InputInvalidError)
    expect(refusal).toMatchObject({ code: 'CC_TARGET_INVALID', file: 'targets/mine.json', issues: [{ path: 'profile' }] })
    expect((refusal as InputInvalidError).issues[0]!.message).toMatch(/unknown profile "ping-federate"; known: auth0, cognito, entra, keycloak, oauth21, okta, rfc6749/)
    expect(() => profileFor({ name: 'mine', profile: 'nope' })).toThrow(/target "mine": "profile": unknown profile "nope"/)
  })
})
