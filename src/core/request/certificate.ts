/**
 * Client certificates in requests (RFC 8705): which one a request presents, where it goes (the
 * endpoint's mtls_endpoint_aliases entry, §5), and the thumbprint a certificate-bound token must
 * carry (§3.1).
 *
 * @see [RFC 8705](https://www.rfc-editor.org/rfc/rfc8705.html)
 * @module
 */
import type { RequestSpec } from '../../schema/request.ts'
import type { ClientCertificate, ResolvedClient, ResolvedTarget } from '../resolve.ts'
import { base64url } from './encoding.ts'

/** How a transport can present a certificate: from PEM (the CLI, Deno) or through a Worker binding. */
export type CertificateKind = 'pem' | 'binding'

/** The certificate a request presents: none, its client's own, or another client's; or why it cannot. */
export function chooseCertificate(
  spec: RequestSpec,
  client: ResolvedClient,
  resolved: ResolvedTarget,
  presentable: readonly CertificateKind[] | undefined,
): { certificate?: ClientCertificate } | { skip: string } {
  const choice = spec.certificate
  if (choice === 'none') return {}
  const owner = choice === 'own' ? client : resolved.clients[choice.of]
  if (!owner) return { skip: `the target has no "${(choice as { of: string }).of}" client` }
  const certificate = owner.certificate
  if (!certificate) return choice === 'own' ? {} : { skip: `client "${owner.role}" has no certificate` }
  const kind: CertificateKind = certificate.binding ? 'binding' : 'pem'
  if (!(presentable ?? []).includes(kind))
    return {
      skip:
        kind === 'pem'
          ? `this runtime cannot present a client certificate from PEM (client "${owner.role}"): in the Worker, name an mtls_certificates binding (certificateBinding)`
          : `client "${owner.role}" presents its certificate through the Worker binding ${certificate.binding}, which only the Worker has`,
    }
  return { certificate }
}

/** The DER bytes of the first certificate of a PEM text. */
function pemCertificateDer(pem: string): Uint8Array<ArrayBuffer> | undefined {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem)
  if (!m) return undefined
  try {
    const bin = atob(m[1]!.replace(/\s+/g, ''))
    return Uint8Array.from(bin, (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
}

/**
 * The x5t#S256 confirmation value of a certificate: the base64url SHA-256 of its DER encoding
 * (RFC 8705 §3.1), or undefined when the certificate's PEM is not known (a Worker binding alone).
 */
export async function certificateThumbprint(certificate: ClientCertificate): Promise<string | undefined> {
  const der = certificate.certPem ? pemCertificateDer(certificate.certPem) : undefined
  if (!der) return undefined
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', der)))
}

/** How a report names a presented certificate: whose it is and its thumbprint. */
export function certificateLabel(certificate: ClientCertificate, thumbprint: string | undefined): string {
  const whose = certificate.binding ? `the certificate of Worker binding ${certificate.binding}` : `the certificate of client "${certificate.id.replace(/^client:/, '')}"`
  return thumbprint ? `${whose} (x5t#S256 ${thumbprint})` : whose
}

/** curl arguments that present the certificate: PEM read from the environment variables, never written out. */
export function certificateCurlArgs(certificate: ClientCertificate): string {
  if (certificate.binding) return `--cert "$CERT_OF_${certificate.binding}" --key "$KEY_OF_${certificate.binding}"`
  const v = (name: string | undefined, what: string) => (name ? `<(printf '%s\\n' "$${name}")` : `"${what}"`)
  return `--cert ${v(certificate.certVar, 'client.crt')} --key ${v(certificate.keyVar, 'client.key')}`
}
