/**
 * Generates the JSON Schemas that editors use to validate target and suite files, and that
 * describe the report, from the zod schemas (the single source of truth).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as z from 'zod'
import { CHECKS } from '../checks/index.ts'
import { ReportSchema } from '../schema/report.ts'
import { SuiteSchema } from '../schema/suite.ts'
import { TargetSchema } from '../schema/target.ts'

export function schemaDocuments(): Record<string, unknown> {
  const suite = z.toJSONSchema(SuiteSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>
  // Editors can then complete check names.
  const check = suite.properties?.cases?.items?.properties?.expect?.items?.properties?.check
  if (check) check.enum = [...CHECKS.keys()]
  return {
    'target.schema.json': z.toJSONSchema(TargetSchema, { io: 'input', unrepresentable: 'any' }),
    'suite.schema.json': suite,
    'report.schema.json': z.toJSONSchema(ReportSchema, { io: 'output', unrepresentable: 'any' }),
  }
}

export function writeSchemas(dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  return Object.entries(schemaDocuments()).map(([name, doc]) => {
    const file = join(dir, name)
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`)
    return file
  })
}
