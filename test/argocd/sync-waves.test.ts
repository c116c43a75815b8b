import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import {
  applyDataProtection,
  applySyncWaves,
  DATA_PROTECTION_ANNOTATIONS,
  isProtected,
  mergeProtectedSyncOptions,
  OBJECT_WAVES,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE_ANNOTATION,
  syncWaveForKind,
} from '../../lib/output/argocd';
import { ExternalSecret } from '../../imports/external-secrets.io';
import { ShopChart } from './fixtures';

describe('syncWaveForKind', () => {
  test('orders a stack: namespace, identities, secret sources, secrets and config, services, stores, apps', () => {
    const order = [
      ['Namespace'],
      ['ServiceAccount', 'NetworkPolicy', 'RoleBinding'],
      ['SecretStore', 'Password:generators.external-secrets.io/v1alpha1'],
      ['ExternalSecret', 'Secret', 'ConfigMap', 'PersistentVolumeClaim'],
      ['Service', 'ServiceMonitor', 'PrometheusRule', 'Middleware'],
      ['StatefulSet'],
      ['Deployment', 'CronJob', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress'],
    ];
    const waves = order.map((group) => [
      ...new Set(
        group.map((k) => {
          const [kind, apiVersion] = k.split(':');
          return syncWaveForKind(kind, apiVersion);
        }),
      ),
    ]);
    // One wave per group, strictly increasing.
    for (const w of waves) expect(w).toHaveLength(1);
    const flat = waves.map((w) => w[0]);
    expect([...flat].sort((a, b) => a - b)).toEqual(flat);
    expect(new Set(flat).size).toBe(flat.length);
  });

  test('the brief: Namespace/Secrets/ExternalSecrets/ConfigMaps before StatefulSets before Deployments/CronJobs', () => {
    const before = Math.max(...['Namespace', 'Secret', 'ExternalSecret', 'ConfigMap'].map((k) => syncWaveForKind(k)));
    expect(before).toBeLessThan(syncWaveForKind('StatefulSet'));
    expect(syncWaveForKind('StatefulSet')).toBeLessThan(Math.min(syncWaveForKind('Deployment'), syncWaveForKind('CronJob')));
  });

  test('every External Secrets generator is a secret source; an unknown kind gets the default wave 0', () => {
    expect(syncWaveForKind('UUID', 'generators.external-secrets.io/v1alpha1')).toBe(OBJECT_WAVES.secretSources);
    expect(syncWaveForKind('Password', 'generators.external-secrets.io/v1alpha1')).toBeLessThan(syncWaveForKind('ExternalSecret'));
    expect(syncWaveForKind('SomethingNew')).toBe(0);
  });

  test('rejects a non-kind', () => {
    expect(() => syncWaveForKind('deployment')).toThrow(
      'syncWaveForKind: kind: got "deployment"; expected a Kubernetes kind such as \'Deployment\' (PascalCase)',
    );
  });
});

describe('applySyncWaves', () => {
  test('annotates every object with its wave and keeps an explicit one', () => {
    const chart = new ShopChart(Testing.app(), 'shop');
    const explicit = new k8s.KubeConfigMap(chart, 'early', {
      metadata: { name: 'early', namespace: 'shop', annotations: { [SYNC_WAVE_ANNOTATION]: '-9' } },
    });
    expect(explicit).toBeDefined();
    const count = applySyncWaves(chart);
    const out = Testing.synth(chart);
    expect(count).toBe(out.length - 1);
    const wave = (kind: string, name: string) =>
      out.find((o) => o.kind === kind && o.metadata.name === name).metadata.annotations[SYNC_WAVE_ANNOTATION];
    expect(wave('Namespace', 'shop')).toBe(String(OBJECT_WAVES.namespace));
    expect(wave('ConfigMap', 'web-config')).toBe(String(OBJECT_WAVES.config));
    expect(wave('StatefulSet', 'db')).toBe(String(OBJECT_WAVES.stores));
    expect(wave('Deployment', 'web')).toBe(String(OBJECT_WAVES.apps));
    expect(wave('ConfigMap', 'early')).toBe('-9');
    // Idempotent: a second call annotates nothing.
    expect(applySyncWaves(chart)).toBe(0);
  });
});

describe('data protection', () => {
  test('the annotation set is Prune=false,Delete=false', () => {
    expect(DATA_PROTECTION_ANNOTATIONS).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
  });

  test('merges with existing sync options and replaces a weaker Prune/Delete', () => {
    expect(mergeProtectedSyncOptions(undefined)).toBe('Prune=false,Delete=false');
    expect(mergeProtectedSyncOptions('Prune=false')).toBe('Prune=false,Delete=false');
    expect(mergeProtectedSyncOptions('ServerSideApply=true, Delete=true')).toBe('ServerSideApply=true,Prune=false,Delete=false');
  });

  test('protects namespaces, ExternalSecrets, Secrets and PVCs, nothing else', () => {
    const chart = new ShopChart(Testing.app(), 'shop');
    new ExternalSecret(chart, 'es', {
      metadata: { name: 'db-credentials', namespace: 'shop', annotations: { [SYNC_OPTIONS_ANNOTATION]: 'Prune=false' } },
      spec: { target: { name: 'db-credentials' } },
    });
    new k8s.KubePersistentVolumeClaim(chart, 'pvc', {
      metadata: { name: 'data', namespace: 'shop' },
      spec: { accessModes: ['ReadWriteOnce'] },
    });
    expect(applyDataProtection(chart)).toBe(3);
    const out = Testing.synth(chart);
    expect(
      out
        .filter(isProtected)
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['ExternalSecret/db-credentials', 'Namespace/shop', 'PersistentVolumeClaim/data']);
    expect(out.find((o) => o.kind === 'ExternalSecret').metadata.annotations[SYNC_OPTIONS_ANNOTATION]).toBe('Prune=false,Delete=false');
    expect(out.filter((o) => o.kind === 'Deployment').some(isProtected)).toBe(false);
  });
});
