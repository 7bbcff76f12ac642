/**
 * Starting the provider emulations (src/reference-server/emulations.ts) on loopback ports, each
 * with the target a user of that provider would write.
 */
import { createReferenceServer } from '../reference-server/app.ts'
import { EMULATIONS, type Emulation } from '../reference-server/emulations.ts'
import type { TargetInput } from '../schema/target.ts'
import { referenceTarget } from '../node/files.ts'
import { listen } from '../node/serve.ts'

/** Starts the reference server once per emulation (and once conformant); returns their targets. */
export async function startEmulations(withReference = true): Promise<{ targets: TargetInput[]; close(): Promise<void> }> {
  const reference = referenceTarget()
  const entries: Array<[string, Emulation]> = [...(withReference ? [['reference', { switches: [], target: {} }] as [string, Emulation]] : []), ...Object.entries(EMULATIONS)]
  const servers = await Promise.all(entries.map(async ([, e]) => listen((await createReferenceServer({ defects: e.switches })).fetch)))
  return {
    targets: entries.map(([name, e], i) => ({ ...reference, $schema: undefined, name, issuer: servers[i]!.url, ...e.target })),
    close: async () => {
      for (const s of servers) await s.close()
    },
  }
}
