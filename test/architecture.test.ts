/**
 * The design's dependency rules, checked on the source: the web-only folders import no Node
 * module, and nothing imports the adapters.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
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
  const page = (file: string) => readFileSync(join(ROOT, file), 'utf8')
  /** The text under a heading, up to the next heading of the same or a higher level. */
  function section(text: string, heading: string): string {
    const lines = text.replace(/^```[\s\S]*?^```/gm, '').split('\n')
    const start = lines.findIndex((l) => l.replace(/^#+\s+/, '') === heading && /^#+\s/.test(l))
    expect(start, `heading "${heading}"`).toBeGreaterThanOrEqual(0)
    const level = lines[start]!.match(/^#+/)![0].length
    const end = lines.findIndex((l, i) => i > start && /^#+\s/.test(l) && l.match(/^#+/)![0].length <= level)
    return lines.slice(start + 1, end < 0 ? undefined : end).join('\n')
  }

  it('docs/checks.md documents every check and every built-in suite, each in its table', async () => {
    const { CHECKS } = await import('../src/checks/index.ts')
    const checks = page('docs/checks.md')
    const checkTable = section(checks, 'Named checks')
    for (const id of CHECKS.keys()) expect(checkTable, id).toContain(`| \`${id}\``)
    const suiteTable = section(checks, 'Built-in suites')
    for (const f of readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))) {
      expect(suiteTable).toContain(`| \`${f.replace(/\.yaml$/, '')}\` |`)
    }
  })

  it('docs/suite-language.md documents every built-in group', async () => {
    const { builtinGroups } = await import('../src/node/files.ts')
    const groups = section(page('docs/suite-language.md'), 'Built-in groups')
    for (const g of builtinGroups().keys()) expect(groups, g).toContain(`\`${g}\``)
  })

  it('the README links every docs page, and every relative link in README.md and docs/ resolves', () => {
    const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))
    const readme = page('README.md')
    for (const f of docs) expect(readme, f).toContain(`](docs/${f})`)
    // GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
    const slug = (heading: string) =>
      heading
        .replace(/`/g, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}_\- ]/gu, '')
        .replace(/ /g, '-')
    const anchors = (text: string) =>
      new Set(
        text
          .replace(/^```[\s\S]*?^```/gm, '')
          .split('\n')
          .filter((l) => /^#{1,6}\s/.test(l))
          .map((l) => slug(l.replace(/^#+\s+/, ''))),
      )
    const broken: string[] = []
    for (const file of ['README.md', ...docs.map((f) => `docs/${f}`)]) {
      const text = page(file).replace(/^```[\s\S]*?^```/gm, '')
      for (const [, url] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(url!)) continue
        const [path, fragment] = url!.split('#')
        const target = path ? join(ROOT, dirname(file), path) : join(ROOT, file)
        if (!existsSync(target)) broken.push(`${file}: ${url}`)
        else if (fragment && !anchors(readFileSync(target, 'utf8')).has(fragment)) broken.push(`${file}: ${url} (no such heading)`)
      }
    }
    expect(broken).toEqual([])
  })
})
