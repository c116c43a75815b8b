import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PlatformRelease } from '../../lib/output/argocd';
import { Doc } from '../support/doc';

export const GITOPS = { repoUrl: 'https://git.example.com/platform/backends.git', targetRevision: 'main' } as const;

/** A small stack: a Namespace, a Deployment scaled by an HPA, a fixed-size Deployment, a StatefulSet, a ConfigMap. */
export class ShopChart extends Chart {
  constructor(scope: Construct, id: string, props: { readonly namespace?: string; readonly hpa?: boolean } = {}) {
    super(scope, id, {
      disableResourceNameHashes: true,
      labels: { 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/managed-by': 'cdk8s' },
    });
    const namespace = props.namespace ?? 'shop';
    new k8s.KubeNamespace(this, 'ns', { metadata: { name: namespace } });
    new k8s.KubeConfigMap(this, 'cm', { metadata: { name: 'web-config', namespace }, data: { A: '1' } });
    const pod = (name: string) => ({
      metadata: { labels: { app: name } },
      spec: { containers: [{ name, image: `example/${name}:1.0.0` }] },
    });
    new k8s.KubeDeployment(this, 'web', {
      metadata: { name: 'web', namespace },
      spec: { selector: { matchLabels: { app: 'web' } }, template: pod('web') },
    });
    new k8s.KubeDeployment(this, 'worker', {
      metadata: { name: 'worker', namespace },
      spec: { replicas: 1, selector: { matchLabels: { app: 'worker' } }, template: pod('worker') },
    });
    new k8s.KubeStatefulSet(this, 'db', {
      metadata: { name: 'db', namespace },
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: pod('db') },
    });
    if (props.hpa ?? true) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'web-hpa', {
        metadata: { name: 'web', namespace },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5 },
      });
      // An HPA whose target is not one of the stack's objects: nothing of ours to ignore.
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'foreign-hpa', {
        metadata: { name: 'foreign', namespace },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'not-here' }, minReplicas: 1, maxReplicas: 2 },
      });
    }
  }
}

/** The objects of a {@link ShopChart}. */
export function shopObjects(props: { readonly namespace?: string; readonly hpa?: boolean } = {}): Doc[] {
  return Testing.synth(new ShopChart(Testing.app(), 'shop', props));
}

/** Two platform releases: an operator with large CRDs and an ingress controller. */
export function platformReleases(): PlatformRelease[] {
  return [
    {
      name: 'ingress',
      releaseName: 'ingress',
      repoUrl: 'https://charts.example.com/ingress',
      chart: 'ingress',
      version: '1.2.3',
      namespace: 'ingress',
      createNamespace: true,
      podSecurity: 'baseline',
      podSecurityReason: 'needs no host access; not verified restricted',
      syncWave: -6,
      serverSideApply: false,
      values: { replicas: 1 },
      clusterResources: [
        { group: 'networking.k8s.io', kind: 'IngressClass' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      ],
    },
    {
      name: 'operator',
      releaseName: 'operator',
      repoUrl: 'https://charts.example.com/operator',
      chart: 'operator',
      version: 'v2.0.0',
      namespace: 'operator',
      createNamespace: true,
      syncWave: -10,
      serverSideApply: true,
      values: { installCRDs: true },
      clusterResources: [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }],
    },
  ];
}
