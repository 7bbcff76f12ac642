/**
 * The design's dependency rules, checked on the source: the web-only folders import no Node
 * module, and nothing imports the adapters.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { schemaDocuments } from '../src/cli/generate.ts'
import { ROOT } from './_run.ts'

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) ? [p] : []
  })
}
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]!)

describe('architecture', () => {
  it('core, checks, schema and reporters use web APIs only: no node:*, no adapters', () => {
    const offenders: string[] = []
    for (const folder of ['core', 'checks', 'schema', 'reporters']) {
      for (const file of sources(join(ROOT, 'src', folder))) {
        for (const spec of importsOf(file)) {
          const allowed = spec.startsWith('.') ? !/\/(cli|worker)\//.test(spec) : ['zod', 'jose', 'hono/jsx', 'hono/html'].includes(spec)
          if (!allowed) offenders.push(`${relative(ROOT, file)} imports ${spec}`)
        }
      }
    }
    expect(offenders).toEqual([])
  })

  it('checks and schema depend on nothing but zod, jose and each other', () => {
    const offenders = ['checks', 'schema'].flatMap((folder) =>
      sources(join(ROOT, 'src', folder)).flatMap((file) =>
        importsOf(file)
          .filter((spec) => spec.startsWith('.') && /\.\.\/(core|reporters|cli)\//.test(spec))
          .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
      ),
    )
    expect(offenders).toEqual([])
  })

  it('the reference server is an independent oracle: web APIs only, and it imports no part of the engine', () => {
    const offenders: string[] = []
    for (const file of sources(join(ROOT, 'src', 'reference-server'))) {
      const text = readFileSync(file, 'utf8')
      for (const spec of importsOf(file)) {
        // A type (the target a provider emulation's user writes) is no code: it cannot share a bug.
        const typeOnly = new RegExp(`import type [^;]*from '${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`).test(text)
        const allowed = spec.startsWith('.') ? spec.startsWith('./') || typeOnly : ['hono', 'jose'].includes(spec)
        if (!allowed) offenders.push(`${relative(ROOT, file)} imports ${spec}`)
      }
    }
    expect(offenders).toEqual([])
    const users = ['core', 'checks', 'schema', 'reporters', 'worker'].flatMap((folder) =>
      sources(join(ROOT, 'src', folder)).flatMap((file) =>
        importsOf(file)
          .filter((spec) => spec.includes('reference-server/'))
          .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
      ),
    )
    expect(users).toEqual([])
  })

  it('the committed JSON Schemas are generated from the current zod schemas (run `npm run generate`)', () => {
    for (const [name, doc] of Object.entries(schemaDocuments())) {
      const committed = JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8'))
      expect(committed, name).toEqual(JSON.parse(JSON.stringify(doc)))
    }
  })
})

describe('documentation', () => {
  it('the README documents every check, every built-in suite and every built-in group', async () => {
    const { CHECKS } = await import('../src/checks/index.ts')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const id of CHECKS.keys()) expect(readme, id).toContain(`\`${id}\``)
    for (const f of readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith('.yaml') && !f.startsWith('_')))
      expect(readme).toContain(`\`${f.replace(/\.yaml$/, '')}\``)
    const { builtinGroups } = await import('../src/node/files.ts')
    for (const g of builtinGroups().keys()) expect(readme, g).toContain(`\`${g}\``)
  })
})
