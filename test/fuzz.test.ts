/**
 * Random mutations of valid input files, fed to the loaders: each must load or be refused with
 * an InputInvalidError naming the file, never crash with anything else. Seeded, so a failure
 * can be replayed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { loadAcceptancesFile, loadProfileFile, loadSuiteFile, loadTargetFile } from '../src/node/files.ts'
import { InputInvalidError } from '../src/core/errors.ts'
import { rng } from './_rng.ts'
import { ROOT } from './_run.ts'

const CASES_PER_FILE = 400

const NASTY = ['', '{', '}', '[', ']', '"', "'", ':', '- ', '\n', '\t', '\\', '\u0000', '💥', '\u202e', '&a', '*a', '!!js/function', '%', '#', '1e400', 'null', '-0', 'x'.repeat(5000)]
const VALUES: unknown[] = [null, true, 0, -1, 1e308, 'x', '', [], {}, [1, 'a'], { env: 'X' }, 'https://', 'http://127.0.0.1:1/', '💥'.repeat(100), Array.from({ length: 200 }, () => ({}))]

function mutateText(text: string, r: () => number): string {
  const at = Math.floor(r() * text.length)
  const lines = text.split('\n')
  switch (Math.floor(r() * 6)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 20))
    case 1:
      return text.slice(0, at) + NASTY[Math.floor(r() * NASTY.length)] + text.slice(at)
    case 2:
      return text.slice(0, at)
    case 3: {
      const i = Math.floor(r() * lines.length)
      lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!)
      return lines.join('\n')
    }
    case 4: {
      const [i, j] = [Math.floor(r() * lines.length), Math.floor(r() * lines.length)]
      ;[lines[i], lines[j]] = [lines[j]!, lines[i]!]
      return lines.join('\n')
    }
    default:
      return text.replace(/[0-9a-z]/gi, (ch) => (r() < 0.02 ? String.fromCharCode(ch.charCodeAt(0) ^ 1) : ch))
  }
}

/** Replaces, deletes or adds one value somewhere in a parsed document. */
function mutateValue(doc: unknown, r: () => number): unknown {
  if (doc === null || typeof doc !== 'object') return VALUES[Math.floor(r() * VALUES.length)]
  const copy: Record<string, unknown> = Array.isArray(doc) ? ([...doc] as unknown as Record<string, unknown>) : { ...(doc as Record<string, unknown>) }
  const keys = Object.keys(copy)
  const key = keys[Math.floor(r() * keys.length)]
  const roll = r()
  if (key === undefined || roll < 0.15) copy[`unknown${Math.floor(r() * 9)}`] = VALUES[Math.floor(r() * VALUES.length)]
  else if (roll < 0.3) delete copy[key]
  else if (roll < 0.55) copy[key] = VALUES[Math.floor(r() * VALUES.length)]
  else copy[key] = mutateValue(copy[key], r)
  return copy
}

const dir = mkdtempSync(join(tmpdir(), 'grantcheck-fuzz-'))
const inputs: Array<[string, string, (file: string) => unknown, 'json' | 'yaml']> = [
  ['target', readFileSync(join(ROOT, 'src/reference-server/reference-target.json'), 'utf8'), loadTargetFile, 'json'],
  ['suite', readFileSync(join(ROOT, 'suites/jwt-client-authentication.yaml'), 'utf8'), loadSuiteFile, 'yaml'],
  ['suite (steps)', readFileSync(join(ROOT, 'suites/introspection.yaml'), 'utf8'), loadSuiteFile, 'yaml'],
  ['profile', readFileSync(join(ROOT, 'profiles/okta.yaml'), 'utf8'), loadProfileFile, 'yaml'],
  ['accepted deviations', '- case: scope/scope-valid\n  target: okta\n  reason: accepted for the fuzz test\n', loadAcceptancesFile, 'yaml'],
]

describe('loaders under random mutation', () => {
  it.each(inputs.map((x, i) => [x[0], i] as const))('%s: every mutation loads or is refused with the file named', (_name, index) => {
    const [name, original, load, format] = inputs[index]!
    const r = rng(0x5eed + index)
    const unexpected: string[] = []
    const texts = new Set<string>()
    let loaded = 0
    let refused = 0
    for (let n = 0; n < CASES_PER_FILE; n++) {
      let text: string
      if (r() < 0.5) text = mutateText(original, r)
      else {
        const doc = mutateValue(format === 'json' ? JSON.parse(original) : parse(original), r)
        text = format === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc)
      }
      const file = join(dir, `${name.replace(/\W/g, '-')}-${n}.${format}`)
      writeFileSync(file, text)
      texts.add(text)
      try {
        load(file)
        loaded++
      } catch (e) {
        refused++
        if (!(e instanceof InputInvalidError) || !e.message.includes(`${name.replace(/\W/g, '-')}-${n}`))
          unexpected.push(`case ${n}: ${e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 200)}` : String(e)}`)
      }
    }
    console.log(`fuzz ${name}: ${texts.size} distinct inputs, ${loaded} loaded, ${refused} refused`)
    expect(unexpected).toEqual([])
    // The mutations reached both sides of the loader, and were not the same few texts again.
    expect(refused).toBeGreaterThan(0)
    expect(loaded).toBeGreaterThan(0)
    expect(texts.size).toBeGreaterThan(CASES_PER_FILE / 4)
  })
})
