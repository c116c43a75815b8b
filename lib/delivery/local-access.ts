import type { IIngressSpec } from 'kubernetes-models/networking.k8s.io/v1/IngressSpec';
import { RenderedObject } from '../output/argocd';

/** The fields of a cert-manager Certificate spec read here (as written in the manifest, not the cdk8s binding's camelCase). */
interface CertificateSpecFields {
  readonly isCA?: boolean;
  readonly secretName?: string;
}

/** A host served by the ingress controller. */
export interface IngressUrl {
  readonly host: string;
  /** `https://<host>/` when a TLS section covers the host, else `http://<host>/`. */
  readonly url: string;
  /** Paths routed for the host, sorted. */
  readonly paths: readonly string[];
  /** `namespace/name` of the Ingresses routing it. */
  readonly ingresses: readonly string[];
  /** True when the host resolves to 127.0.0.1 through public DNS (no /etc/hosts entry needed). */
  readonly resolvesToLoopback: boolean;
}

/** Where the local CA certificate lives. */
export interface LocalCa {
  readonly namespace: string;
  readonly secretName: string;
  /** Name of the Certificate. */
  readonly certificate: string;
}

/**
 * True for host names that public DNS resolves to 127.0.0.1: `localhost`, `*.localhost`,
 * `*.localtest.me`, `*.127.0.0.1.nip.io`, `*.127.0.0.1.sslip.io` (and those domains themselves).
 */
export function resolvesToLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    ['localtest.me', '127.0.0.1.nip.io', '127-0-0-1.nip.io', '127.0.0.1.sslip.io', '127-0-0-1.sslip.io'].some(
      (d) => h === d || h.endsWith(`.${d}`),
    )
  );
}

/** The hosts the Ingresses among `objects` serve, sorted by host. */
export function ingressUrls(objects: readonly RenderedObject[]): IngressUrl[] {
  const byHost = new Map<string, { tls: boolean; paths: Set<string>; ingresses: Set<string> }>();
  for (const o of objects) {
    if (o.kind !== 'Ingress' || !String(o.apiVersion).startsWith('networking.k8s.io/')) continue;
    const spec = o.spec as IIngressSpec | undefined;
    const tlsHosts = new Set<string>((spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
    for (const rule of spec?.rules ?? []) {
      if (!rule.host) continue;
      const entry = byHost.get(rule.host) ?? { tls: false, paths: new Set<string>(), ingresses: new Set<string>() };
      entry.tls = entry.tls || tlsHosts.has(rule.host);
      for (const p of rule.http?.paths ?? []) entry.paths.add(p.path ?? '/');
      entry.ingresses.add(`${o.metadata?.namespace}/${o.metadata?.name}`);
      byHost.set(rule.host, entry);
    }
  }
  return [...byHost.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([host, e]) => ({
      host,
      url: `${e.tls ? 'https' : 'http'}://${host}/`,
      paths: [...e.paths].sort(),
      ingresses: [...e.ingresses].sort(),
      resolvesToLoopback: resolvesToLoopback(host),
    }));
}

/** The local CA: the Certificate with `isCA: true` among the objects (lib/cluster-issuers LocalCaIssuer). */
export function findLocalCa(objects: readonly RenderedObject[]): LocalCa | undefined {
  const specOf = (o: RenderedObject) => o.spec as CertificateSpecFields | undefined;
  const ca = objects.find(
    (o) => o.kind === 'Certificate' && String(o.apiVersion).startsWith('cert-manager.io/') && specOf(o)?.isCA === true,
  );
  const secretName = ca ? specOf(ca)?.secretName : undefined;
  if (!ca?.metadata?.namespace || !secretName) return undefined;
  return { namespace: ca.metadata.namespace, secretName, certificate: ca.metadata.name ?? secretName };
}

/** Shell commands that export the local CA and trust it on each OS. */
export function trustCaInstructions(ca: LocalCa, kubeContext: string, exampleUrl?: string): string[] {
  const file = 'local-ca.crt';
  return [
    `Export the local CA (ClusterIssuer certificates chain to it):`,
    `  kubectl --context ${kubeContext} -n ${ca.namespace} get secret ${ca.secretName} -o jsonpath='{.data.ca\\.crt}' | base64 -d > ${file}`,
    `Trust it:`,
    `  macOS:          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${file}`,
    `  Debian/Ubuntu:  sudo cp ${file} /usr/local/share/ca-certificates/${kubeContext}-local-ca.crt && sudo update-ca-certificates`,
    `  Fedora/RHEL:    sudo cp ${file} /etc/pki/ca-trust/source/anchors/${kubeContext}-local-ca.crt && sudo update-ca-trust`,
    `  Windows (admin PowerShell): certutil -addstore -f ROOT ${file}`,
    `  Firefox keeps its own store: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import.`,
    ...(exampleUrl ? [`Or per command, without trusting it system-wide: curl --cacert ${file} ${exampleUrl}`] : []),
    `Remove it again when the cluster is gone (kind:down creates a new CA next time).`,
  ];
}
