import { SYNC_WAVE_ANNOTATION } from '../../lib/output/argocd';
import { planManifestBatches, waveOf } from '../../lib/delivery';
import { shopObjects } from '../argocd/fixtures';

const platform = {
  name: 'platform',
  path: 'dist/dev/platform.k8s.yaml',
  objects: [
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'ca' } },
    { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'ca-root', namespace: 'cert-manager' } },
  ],
};

describe('planManifestBatches', () => {
  test('files in order (platform before stacks), each wave by wave, waiting for what each wave starts', () => {
    const shop = { name: 'shop', path: 'dist/dev/shop.k8s.yaml', objects: shopObjects() };
    const batches = planManifestBatches([platform, shop]);
    expect(batches.map((b) => `${b.file}@${b.wave}: ${b.objects.map((o) => o.kind).join(',')}`)).toEqual([
      'dist/dev/platform.k8s.yaml@-2: ClusterIssuer',
      'dist/dev/platform.k8s.yaml@-1: Certificate',
      'dist/dev/shop.k8s.yaml@-4: Namespace',
      'dist/dev/shop.k8s.yaml@-1: ConfigMap',
      'dist/dev/shop.k8s.yaml@1: StatefulSet',
      'dist/dev/shop.k8s.yaml@2: Deployment,Deployment,HorizontalPodAutoscaler,HorizontalPodAutoscaler',
    ]);
    expect(batches.map((b) => b.waits.map((w) => `${w.type}:${w.resource}/${w.name}`))).toEqual([
      [],
      ['condition:certificate.cert-manager.io/ca-root', 'condition:clusterissuer.cert-manager.io/ca'],
      [],
      [],
      ['rollout:statefulset/db'],
      ['rollout:deployment/web', 'rollout:deployment/worker'],
    ]);
  });

  test('an explicit sync-wave annotation wins over the kind', () => {
    const early = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'migrate', namespace: 'shop', annotations: { [SYNC_WAVE_ANNOTATION]: '-5' } },
    };
    expect(waveOf(early)).toBe(-5);
    expect(waveOf({ ...early, metadata: { ...early.metadata, annotations: {} } })).toBe(2);
    const batches = planManifestBatches([{ name: 'x', path: 'x.yaml', objects: [shopObjects()[0], early] }]);
    expect(batches.map((b) => b.wave)).toEqual([-5, -4]);
  });
});
