import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PlatformConfig } from '../lib/config/platform-schema';
import { AcmeIssuer, LocalCaIssuer } from '../lib/constructs/platform/cluster-issuers';
import { stackLabels } from '../lib/core/labels';
import { applySyncWaves } from '../lib/output/argocd';

/**
 * Cluster-scoped objects every stack relies on: the TLS ClusterIssuer and, on EKS,
 * the encrypted gp3 StorageClass. The operators themselves (cert-manager, Traefik,
 * kube-prometheus-stack, External Secrets) are installed from their upstream charts.
 */
export class PlatformChart extends Chart {
  constructor(scope: Construct, id: string, props: { readonly env: PlatformConfig }) {
    super(scope, id, { disableResourceNameHashes: true, labels: stackLabels('platform') });
    const { env } = props;
    if (env.tls.issuer === 'local-ca') {
      new LocalCaIssuer(this, 'local-ca', { name: env.tls.clusterIssuer });
    } else {
      new AcmeIssuer(this, 'acme', {
        name: env.tls.clusterIssuer,
        email: env.tls.acmeEmail!,
        server: env.tls.acmeServer,
        ingressClassName: env.ingress.className,
      });
    }
    if (env.storage.gp3StorageClass) {
      new k8s.KubeStorageClass(this, 'gp3', {
        metadata: { name: env.storage.gp3StorageClass },
        provisioner: 'ebs.csi.aws.com',
        parameters: { type: 'gp3', encrypted: 'true', fsType: 'ext4' },
        // Data is sacred: a deleted claim leaves its volume for recovery.
        reclaimPolicy: 'Retain',
        volumeBindingMode: 'WaitForFirstConsumer',
        allowVolumeExpansion: true,
      });
    }
    applySyncWaves(this);
  }
}
