/**
 * Writing a report's files: the run folder of `grantcheck run`, and one format for `grantcheck
 * report`. Shared by the CLI and the programmatic API.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Report } from '../schema/report.ts'

/**
 * The file renderers, each loaded when first used: the CLI bundle keeps them in chunks of their
 * own, so commands that render nothing, or one format, do not load the rest. Each gives its text
 * in pieces, which the large formats keep to about a case each (see writePieces).
 */
export const RENDERERS = {
  json: async () => (await import('../reporters/json.ts')).renderJsonParts,
  html: async () => (await import('../reporters/html/index.ts')).renderHtmlParts,
  junit: async () => {
    const { renderJunit } = await import('../reporters/junit.ts')
    return (r: Report) => [renderJunit(r)]
  },
  md: async () => {
    const { renderMarkdown } = await import('../reporters/markdown.ts')
    return (r: Report) => [renderMarkdown(r)]
  },
  matrix: async () => {
    const { buildMatrix } = await import('../reporters/matrix.ts')
    return (r: Report) => [`${JSON.stringify(buildMatrix(r), null, 2)}\n`]
  },
} satisfies Record<string, () => Promise<(r: Report) => Iterable<string>>>

/** Writes every format of a report into its run folder; returns the folder. */
export async function writeReport(report: Report, outDir: string): Promise<string> {
  const dir = resolve(outDir, report.runId)
  mkdirSync(dir, { recursive: true })
  const files: Array<[string, keyof typeof RENDERERS]> = [
    ['report.json', 'json'],
    ['report.html', 'html'],
    ['junit.xml', 'junit'],
    ['summary.md', 'md'],
  ]
  if (report.targets.length > 1) files.push(['matrix.json', 'matrix'])
  // One format at a time, and the large ones a case at a time: a 10-target run's JSON and HTML are
  // 3–4 MB each, and building either whole took 7–17 MB more at the run's peak.
  for (const [name, format] of files) writePieces(join(dir, name), (await RENDERERS[format]())(report))
  return dir
}

/**
 * Writes the pieces in blocks of about 32 KB: few writes, and no block big enough to be a large
 * object. A rendering that fails part-way leaves no half-written file behind.
 */
export function writePieces(file: string, pieces: Iterable<string>): void {
  const fd = openSync(file, 'w')
  let pending = ''
  const flush = () => {
    const bytes = Buffer.from(pending)
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done)
    pending = ''
  }
  try {
    for (const piece of pieces) {
      pending += piece
      if (pending.length >= 32_768) flush()
    }
    flush()
  } catch (e) {
    closeSync(fd)
    rmSync(file, { force: true })
    throw e
  }
  closeSync(fd)
}
