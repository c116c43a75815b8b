import { Construct } from 'constructs';
import { Certificate, CertificateSpecPrivateKeyAlgorithm, ClusterIssuer } from '../../../imports/cert-manager.io';

export interface LocalCaIssuerProps {
  /** Name of the CA ClusterIssuer that signs workload certificates. */
  readonly name: string;
  /** Namespace cert-manager runs in (the CA key Secret lives there). @default 'cert-manager' */
  readonly certManagerNamespace?: string;
}

/**
 * A local certificate authority for kind: a self-signed bootstrap issuer signs a CA
 * certificate, and a CA ClusterIssuer signs every Ingress certificate with it. Trust
 * the CA once (`kubectl get secret <name>-root -n cert-manager`) and every local host is valid.
 */
export class LocalCaIssuer extends Construct {
  constructor(scope: Construct, id: string, props: LocalCaIssuerProps) {
    super(scope, id);
    const ns = props.certManagerNamespace ?? 'cert-manager';
    const bootstrap = `${props.name}-bootstrap`;
    new ClusterIssuer(this, 'bootstrap', { metadata: { name: bootstrap }, spec: { selfSigned: {} } });
    new Certificate(this, 'root', {
      metadata: { name: `${props.name}-root`, namespace: ns },
      spec: {
        isCa: true,
        commonName: `${props.name} root CA`,
        secretName: `${props.name}-root`,
        duration: '87600h',
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256 },
        issuerRef: { name: bootstrap, kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    });
    new ClusterIssuer(this, 'ca', { metadata: { name: props.name }, spec: { ca: { secretName: `${props.name}-root` } } });
  }
}

export interface AcmeIssuerProps {
  readonly name: string;
  /** ACME account e-mail. */
  readonly email: string;
  /** @default Let's Encrypt production */
  readonly server?: string;
  /** IngressClass that serves HTTP-01 challenges. */
  readonly ingressClassName: string;
}

/** A Let's Encrypt (ACME HTTP-01) ClusterIssuer. */
export class AcmeIssuer extends Construct {
  constructor(scope: Construct, id: string, props: AcmeIssuerProps) {
    super(scope, id);
    new ClusterIssuer(this, 'Resource', {
      metadata: { name: props.name },
      spec: {
        acme: {
          server: props.server ?? 'https://acme-v02.api.letsencrypt.org/directory',
          email: props.email,
          privateKeySecretRef: { name: `${props.name}-account-key` },
          solvers: [{ http01: { ingress: { ingressClassName: props.ingressClassName } } }],
        },
      },
    });
  }
}
