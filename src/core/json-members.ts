/**
 * The members of a JSON text as written, not as a parser keeps them: `JSON.parse` keeps the last
 * of two members with one name and drops the other, so a token written twice would reach the
 * report unseen by the redactor, and an ambiguous response would look like a plain one.
 *
 * One lenient pass over the text: a string followed by `:` is a member name, and the string after
 * it, if any, is its value. It reads truncated or invalid JSON too (for finding secrets), while the
 * names it reports twice mean something only for a text that parsed.
 *
 * @module
 */

export interface JsonMembers {
  /** Every member whose value is a string, in text order, duplicates included: [name, value]. */
  strings: Array<[string, string]>
  /** Each member name written more than once in one object, as a path (`a`, `a.b`, `list[].c`). */
  duplicates: string[]
}

interface Frame {
  /** Names seen in this object; undefined for an array. */
  names?: Set<string>
  path: string
  /** The name of the member whose value comes next, in an object. */
  pending?: string
}

export function jsonMembers(text: string): JsonMembers {
  const strings: Array<[string, string]> = []
  const duplicates = new Set<string>()
  const stack: Frame[] = []
  const childPath = (top: Frame | undefined): string => {
    if (!top) return ''
    if (top.names) return top.path ? `${top.path}.${top.pending ?? '?'}` : (top.pending ?? '?')
    return `${top.path}[]`
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch === 0x22) {
      const end = stringEnd(text, i)
      const value = decodeString(text.slice(i, end))
      i = end - 1
      const top = stack.at(-1)
      if (top?.names && top.pending === undefined && nextNonSpace(text, end) === 0x3a) {
        if (top.names.has(value)) duplicates.add(top.path ? `${top.path}.${value}` : value)
        top.names.add(value)
        top.pending = value
      } else if (top?.names && top.pending !== undefined) {
        strings.push([top.pending, value])
        top.pending = undefined
      }
    } else if (ch === 0x7b || ch === 0x5b) {
      stack.push({ ...(ch === 0x7b ? { names: new Set<string>() } : {}), path: childPath(stack.at(-1)) })
    } else if (ch === 0x7d || ch === 0x5d || ch === 0x2c) {
      // A container closed, or a number or literal ended: the member it was the value of is done.
      if (ch !== 0x2c) stack.pop()
      const top = stack.at(-1)
      if (top?.names) top.pending = undefined
    }
  }
  return { strings, duplicates: [...duplicates] }
}

/** The index just past the string that starts at `start` (or the text's end, if it never ends). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; ;) {
    const quote = text.indexOf('"', i)
    if (quote === -1) return text.length
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    i = quote + 1
  }
}

/** A string token's value; its raw inside when its escapes are not valid JSON. */
function decodeString(token: string): string {
  try {
    return JSON.parse(token.endsWith('"') && token.length > 1 ? token : `${token}"`) as string
  } catch {
    return token.slice(1, token.endsWith('"') ? -1 : undefined)
  }
}

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c
  }
  return -1
}
