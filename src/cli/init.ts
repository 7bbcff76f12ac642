/**
 * `grantcheck init --provider X`: a target file that works the first time, with the provider's
 * setup steps as comments ("$comment") and environment variable names for every secret.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Profile } from '../schema/profile.ts'
import type { TargetInput } from '../schema/target.ts'
import { builtinProfiles } from '../core/builtin.ts'
import { displayPath } from '../node/files.ts'
import { clientIdPlaceholder, fillPlaceholders } from '../node/placeholders.ts'
import { EXIT, type Io } from './main.ts'
import { UsageError, type Parsed } from './usage.ts'

/**
 * The target a profile suggests, placeholders left for the user in capitals (`https://DOMAIN/…`):
 * still a valid URL, so the template validates as it is; loading refuses it until they are
 * replaced (src/node/placeholders.ts).
 */
export function targetTemplate(profile: Profile): TargetInput {
  const fill = fillPlaceholders
  const target: TargetInput = {
    $schema: './node_modules/grantcheck/schemas/target.schema.json',
    $comment: `${profile.title}. Replace ${Object.entries(profile.variables)
      .map(([k, v]) => `${k.toUpperCase()} (${v})`)
      .join('; ')} and each "<… client id>". Setup: ${profile.setup.join(' ')}`,
    name: profile.id,
    profile: profile.id,
    clients: Object.fromEntries(
      Object.entries(profile.clients).map(([role, c]) => [
        role,
        {
          clientId: clientIdPlaceholder(role),
          authMethod: c.authMethod,
          ...(c.authMethod === 'private_key_jwt' ? { privateJwk: { env: c.env } } : { clientSecret: { env: c.env } }),
          ...(c.note ? { $comment: c.note } : {}),
        },
      ]),
    ),
    scopes: {
      valid: profile.scopes.valid.map(fill),
      ...(profile.scopes.restricted ? { restricted: fill(profile.scopes.restricted) } : {}),
      ...(profile.scopes.unknown ? { unknown: fill(profile.scopes.unknown) } : {}),
    },
  }
  if (profile.endpoints.issuer) target.issuer = fill(profile.endpoints.issuer)
  if (profile.endpoints.tokenEndpoint) target.tokenEndpoint = fill(profile.endpoints.tokenEndpoint)
  if (profile.requestDefaults.audience) target.audience = fill(profile.requestDefaults.audience)
  if (profile.requestDefaults.resource) target.resource = fill(profile.requestDefaults.resource)
  return target
}

export function initCommand(values: Parsed<'init'>['values'], io: Io): number {
  const profiles = builtinProfiles()
  const profile = values.provider ? profiles.get(values.provider) : undefined
  if (!profile) throw new UsageError(`--provider must be one of ${[...profiles.keys()].join(', ')}`, 'init')
  const out = resolve(values.output ?? `${profile.id}.target.json`)
  if (existsSync(out) && !values.force) {
    io.err(`grantcheck: ${displayPath(out)} exists; use --force to overwrite it`)
    return EXIT.usage
  }
  writeFileSync(out, `${JSON.stringify(targetTemplate(profile), null, 2)}\n`)
  io.out(`wrote ${displayPath(out)} for ${profile.title}\n`)
  io.out('Next steps:')
  profile.setup.forEach((step, i) => io.out(`  ${i + 1}. ${step}`))
  io.out(
    `  ${profile.setup.length + 1}. Replace the CAPITALISED placeholders and client ids in ${displayPath(out)} (run refuses the file until then), export ${[...new Set(Object.values(profile.clients).map((c) => c.env))].join(', ')}, then:`,
  )
  io.out(`     grantcheck run --target ${displayPath(out)}`)
  if (profile.deviations.length)
    io.out(
      `\nKnown for ${profile.title} (reported as RFC findings, labelled known; --accept-known keeps them from failing CI):\n${profile.deviations.map((d) => `  - ${d.case}: ${d.behaviour}`).join('\n')}`,
    )
  return EXIT.ok
}
