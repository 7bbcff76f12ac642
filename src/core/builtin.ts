/**
 * The built-in data every runtime shares: the tool version, the built-in suites, the provider
 * profiles and the requirement catalogue, from one JSON module that `npm run build` generates
 * (`src/generated/builtin.json`). Web-only, so the Worker, Deno and the CLI read the same thing;
 * the JSON is parsed YAML, validated here once per process (or isolate).
 *
 * @module
 */
import type { ZodType } from 'zod'
import data from '../generated/builtin.json' with { type: 'json' }
import { CatalogueSchema, type Catalogue } from '../schema/catalogue.ts'
import { ProfileSchema, type Profile } from '../schema/profile.ts'
import { InputInvalidError, formatPath } from './errors.ts'
import { planBundle, type PlannedSuite } from './plan.ts'

/** package.json's version when the data was generated: what reports name as the tool version. */
export const TOOL_VERSION: string = data.version

let suites: PlannedSuite[] | undefined
/** The built-in suites, planned once. */
export function builtinSuites(): PlannedSuite[] {
  return (suites ??= planBundle(data))
}

/**
 * Validates every file's data with `schema`; a broken one names its file and fields. (Only an
 * edited source can break: the tests also load the YAML files with line numbers.)
 */
function validated<T>(files: Array<{ file: string; data: unknown }>, schema: ZodType<T>, code: 'CC_TARGET_INVALID' | 'CC_SUITE_INVALID'): Array<[string, T]> {
  return files.map(({ file, data }) => {
    const parsed = schema.safeParse(data)
    if (!parsed.success)
      throw new InputInvalidError(
        code,
        file,
        parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
      )
    return [file, parsed.data]
  })
}

let profiles: Map<string, Profile> | undefined
/** The provider profiles by id (their file name: `profiles/okta.yaml` is `okta`), validated once. */
export function builtinProfiles(): Map<string, Profile> {
  return (profiles ??= new Map(validated(data.profiles, ProfileSchema, 'CC_TARGET_INVALID').map(([file, p]) => [file.replace(/^.*\/|\.yaml$/g, ''), p])))
}

let catalogues: Array<{ file: string; catalogue: Catalogue }> | undefined
/** The requirement catalogues (`requirements/*.yaml`), validated once. */
export function builtinCatalogues(): Array<{ file: string; catalogue: Catalogue }> {
  return (catalogues ??= validated(data.catalogue, CatalogueSchema, 'CC_SUITE_INVALID').map(([file, catalogue]) => ({ file, catalogue })))
}

/**
 * The profile a target names (undefined when it names none). An unknown name is a configuration
 * error on the target's `profile` field; `source` says where the target came from (its file, or
 * the Worker's binding), as every input error does.
 */
export function profileFor(target: { name?: string; profile?: string }, source = `target "${target.name ?? ''}"`): Profile | undefined {
  if (target.profile === undefined) return undefined
  const all = builtinProfiles()
  const profile = all.get(target.profile)
  if (!profile) throw new InputInvalidError('CC_TARGET_INVALID', source, [{ path: 'profile', message: `unknown profile "${target.profile}"; known: ${[...all.keys()].join(', ')}` }])
  return profile
}
