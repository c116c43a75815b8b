import { Construct } from 'constructs';
import { Certificate, CertificateSpecPrivateKeyAlgorithm, Issuer } from '../../../imports/cert-manager.io';
import { dnsLabel } from '../../core/formats';

export interface NamespaceCaIssuerProps {
  readonly namespace: string;
  /** Name of the CA Issuer (and prefix of its bootstrap Issuer and CA Secret), a DNS-1123 label. @default 'internal-ca' */
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A certificate authority of one namespace for TLS between its own components (a database and its
 * clients): a self-signed bootstrap Issuer signs a CA certificate (`<name>-root`, 10 years,
 * ECDSA P-256), and the CA Issuer `<name>` signs workload certificates with it. Cluster-internal
 * names (`*.svc.cluster.local`) cannot be certified by a public ACME issuer, and a namespaced CA
 * keeps one stack's key material out of every other namespace. Clients trust `ca.crt` of the
 * workload certificate's Secret.
 */
export class NamespaceCaIssuer extends Construct {
  /** Name of the CA Issuer (kind `Issuer`). */
  public readonly name: string;
  /** `{ name, kind: 'Issuer' }`, as construct props that take an issuer want it. */
  public readonly issuerRef: { readonly name: string; readonly kind: 'Issuer' };

  constructor(scope: Construct, id: string, props: NamespaceCaIssuerProps) {
    super(scope, id);
    const name = props.name ?? 'internal-ca';
    for (const [field, value] of [
      ['namespace', props.namespace],
      ['name', name],
    ] as const) {
      if (!dnsLabel.test(value) || value.length > 50)
        throw new Error(`NamespaceCaIssuer: ${field} '${value}'; expected ${dnsLabel.expected}, at most 50 characters`);
    }
    const metadata = (n: string) => ({ name: n, namespace: props.namespace, labels: { ...props.labels } });
    const bootstrap = `${name}-bootstrap`;
    new Issuer(this, 'bootstrap', { metadata: metadata(bootstrap), spec: { selfSigned: {} } });
    new Certificate(this, 'root', {
      metadata: metadata(`${name}-root`),
      spec: {
        isCa: true,
        commonName: `${props.namespace} ${name}`,
        secretName: `${name}-root`,
        duration: '87600h',
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256 },
        issuerRef: { name: bootstrap, kind: 'Issuer', group: 'cert-manager.io' },
      },
    });
    new Issuer(this, 'ca', { metadata: metadata(name), spec: { ca: { secretName: `${name}-root` } } });
    this.name = name;
    this.issuerRef = { name, kind: 'Issuer' };
  }
}
