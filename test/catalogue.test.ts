/**
 * The requirement catalogue against the suites: every mandatory requirement is tested (or says
 * why it cannot be), every mapping points at a case that cites the requirement's section, and the
 * generated coverage document is current.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { coverageDocument, loadCatalogues, proofDocument } from '../src/cli/generate.ts'
import { allChecks } from '../src/core/plan.ts'
import { MANDATORY } from '../src/schema/catalogue.ts'
import { builtinSuites, ROOT } from './_run.ts'

const catalogues = loadCatalogues()
const cases = new Map(builtinSuites().flatMap((s) => s.cases.map((c) => [`${s.suite.id}/${c.case.id}`, c])))

describe('the requirement catalogue', () => {
  it('has unique entry ids', () => {
    for (const { catalogue } of catalogues) {
      const ids = catalogue.entries.map((e) => e.id)
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
    }
  })

  it('tests every MUST, MUST NOT and REQUIRED, or says why it cannot be observed', () => {
    const uncovered = catalogues.flatMap(({ catalogue }) => catalogue.entries.filter((e) => MANDATORY.includes(e.keyword) && e.cases.length === 0 && !e.untestable).map((e) => e.id))
    expect(uncovered).toEqual([])
  })

  it('maps each requirement only to existing cases that cite its section', () => {
    const problems: string[] = []
    for (const { catalogue } of catalogues) {
      for (const e of catalogue.entries) {
        for (const id of e.cases) {
          const c = cases.get(id)
          if (!c) {
            problems.push(`${e.id}: no case ${id}`)
            continue
          }
          const cited = new Set([...c.case.requirements, ...allChecks(c).flatMap((k) => k.requirements)])
          if (!cited.has(e.section)) problems.push(`${e.id}: ${id} does not cite ${e.section}`)
        }
      }
    }
    expect(problems).toEqual([])
  })

  it('docs/proof.md is generated from the current defects and suites (run `npm run generate`)', () => {
    expect(readFileSync(join(ROOT, 'docs/proof.md'), 'utf8')).toBe(proofDocument())
  })

  it('docs/requirements.md is generated from the current catalogue and suites (run `npm run generate`)', () => {
    expect(readFileSync(join(ROOT, 'docs/requirements.md'), 'utf8')).toBe(coverageDocument())
  })
})
