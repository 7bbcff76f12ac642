/**
 * The canonical artifact: the report as JSON.
 *
 * @module
 */
import type { Report } from '../schema/report.ts'

export function renderJson(report: Report): string {
  return `${safeJson(JSON.stringify(report, null, 2))}\n`
}

/**
 * JSON escapes C0 controls itself but writes DEL, C1 and the Unicode controls that reorder text as
 * they are; written as \u escapes here, the value is the same and the text is safe to print.
 */
const JSON_UNESCAPED_CONTROLS = /[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g
export function safeJson(text: string): string {
  return text.replace(JSON_UNESCAPED_CONTROLS, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * The same text as {@link renderJson} (what `JSON.stringify(report, null, 2)` writes) in pieces of
 * about a case each, so the CLI can write a large report without holding it whole. Pieces stay
 * small on purpose: V8 puts a string over 128 KB in its large-object space, which only a full
 * collection frees.
 */
export function* renderJsonParts(report: Report): Generator<string> {
  // report → targets → a target → its cases → a case, written whole.
  yield* pretty(report, '', 4)
  yield '\n'
}

/** JSON.stringify(value, null, 2) at `indent`, opened `levels` deep and stringified below. */
function* pretty(value: unknown, indent: string, levels: number): Generator<string> {
  if (levels === 0 || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // A raw newline in stringify's output is always indentation: newlines in strings are escaped.
    yield safeJson(JSON.stringify(value, null, 2) ?? 'null').replace(/\n/g, `\n${indent}`)
    return
  }
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]'
    for (let i = 0; i < value.length; i++) {
      yield `${i ? ',' : '['}\n${inner}`
      yield* pretty(omitted(value[i]) ? null : value[i], inner, levels - 1)
    }
    return yield `\n${indent}]`
  }
  const members = Object.entries(value).filter(([, v]) => !omitted(v))
  if (members.length === 0) return yield '{}'
  for (let m = 0; m < members.length; m++) {
    yield `${m ? ',' : '{'}\n${inner}${safeJson(JSON.stringify(members[m]![0]))}: `
    yield* pretty(members[m]![1], inner, levels - 1)
  }
  yield `\n${indent}}`
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol'
