/**
 * `grantcheck demo` and `grantcheck fixture`: the embedded reference authorization server, for a
 * first run without any tenant and for poking at with curl.
 */
import { join } from 'node:path'
import { createReferenceServer } from '../reference-server/app.ts'
import { DEFECTS } from '../reference-server/defects.ts'
import { LAWFUL } from '../reference-server/lawful.ts'
import { resolveTarget } from '../core/resolve.ts'
import type { JWK } from 'jose'
import { TargetSchema, type Target } from '../schema/target.ts'
import { makeLoopbackPki } from '../node/certificates.ts'
import { displayPath, loadTargetFile, packageRoot, REFERENCE_TARGET, resolveSuiteArgs, resolveWithProfile } from '../node/files.ts'
import { startEmulations } from './emulations.ts'
import { EXIT, executeRun, type Io } from './main.ts'
import { listen } from '../node/serve.ts'
import { UsageError, type Parsed } from './usage.ts'

/**
 * Starts the reference server on a free loopback port and runs every built-in suite against it.
 * It listens over TLS and asks for client certificates, with a CA and certificates made for this
 * run, so that the mutual-TLS clients (RFC 8705) are tested too; their PEM is literal in the
 * target, which only a loopback target accepts.
 */
export async function demoCommand(values: Parsed<'demo'>['values'], io: Io): Promise<number> {
  if (values.emulations) return compareEmulations(io, values.out)
  const pki = await makeLoopbackPki()
  const reference = await createReferenceServer({ defects: values.defect, selfSignedClientKey: pki.selfSigned.publicJwk as JWK })
  const server = await listen(reference.fetch, 0, '127.0.0.1', { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem })
  try {
    const file = join(packageRoot(), REFERENCE_TARGET)
    const written = loadTargetFile(file)
    const target: Target = {
      ...written,
      issuer: server.url,
      caCertificates: pki.ca.certPem,
      clients: {
        ...written.clients,
        mtls: { clientId: 'grantcheck-mtls', authMethod: 'tls_client_auth', certificate: pki.mtlsClient.certPem, certificateKey: pki.mtlsClient.keyPem },
        mtlsSelfSigned: { clientId: 'grantcheck-mtls-self-signed', authMethod: 'self_signed_tls_client_auth', certificate: pki.selfSigned.certPem, certificateKey: pki.selfSigned.keyPem },
      },
    }
    io.out(`Reference server on ${server.url}${values.defect?.length ? ` with defects: ${values.defect.join(', ')}` : ' (conformant)'}, with a CA and client certificates made for this run`)
    const resolved = resolveTarget(TargetSchema.parse(target), (name) => io.env[name], displayPath(file))
    return await executeRun([resolved], resolveSuiteArgs(values.suite ?? []), values.out ?? 'reports', io)
  } finally {
    await server.close()
  }
}

/** Serves the reference server until interrupted. */
export async function fixtureCommand(values: Parsed<'fixture'>['values'], io: Io): Promise<number> {
  const port = values.port === undefined ? 4455 : Number(values.port)
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) throw new UsageError('--port must be a port number (0 to 65535)', 'fixture')
  const server = await listen((await createReferenceServer({ defects: values.defect })).fetch, port)
  io.out(`grantcheck reference server on ${server.url} (issuer ${server.url})`)
  io.out(`defects: ${values.defect?.join(', ') || 'none'}; known: ${Object.keys(DEFECTS).join(', ')}`)
  io.out(`lawful variations (also for --defect, each an answer the specifications allow): ${Object.keys(LAWFUL).join(', ')}`)
  io.out(`try: grantcheck run --target ${REFERENCE_TARGET}`)
  io.out(`     curl -s -u grantcheck-primary:primary-secret-7Hq2xW9vLm4K -d grant_type=client_credentials ${server.url}/token`)
  await new Promise<void>((done) => {
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
  await server.close()
  return EXIT.ok
}

/**
 * `npm run demo:compare`: the reference server and the five provider emulations in one run, so the
 * comparison report can be seen without any tenant.
 */
async function compareEmulations(io: Io, out: string | undefined): Promise<number> {
  const running = await startEmulations()
  try {
    io.out(`Reference server and ${running.targets.length - 1} provider emulations on 127.0.0.1`)
    const targets = running.targets.map((t) => {
      const target = TargetSchema.parse(t)
      return resolveWithProfile(target, io.env, `emulation "${t.name}"`)
    })
    // Provider quirks are the point of the demo: the exit code is 0 unless a run could not be made.
    const code = await executeRun(targets, resolveSuiteArgs([]), out ?? 'reports', io)
    return code === EXIT.runtime ? code : EXIT.ok
  } finally {
    await running.close()
  }
}
