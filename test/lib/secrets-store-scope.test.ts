import { Chart, Testing } from 'cdk8s';
import { SecretsBackend, SecretsProvider } from '../../lib/constructs/platform/secrets-backend';
import { SchemaCheck } from '../../lib/checks/schema-check';
import { configProblems, envConfig } from '../support/synth';
import { Doc } from '../support/doc';

const aws = (storeScope?: 'namespace' | 'cluster'): SecretsProvider => ({
  kind: 'aws-secrets-manager',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/shop-secrets',
  keyPrefix: 'prod/shop',
  ...(storeScope ? { storeScope } : {}),
});

function render(provider: SecretsProvider, namespacedChart = true) {
  const app = Testing.app();
  const chart = new Chart(app, 'shop', namespacedChart ? { namespace: 'shop' } : {});
  new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider }).secret('db', ['PASSWORD']);
  return Testing.synth(chart);
}

describe('SecretsBackend store scope', () => {
  test('namespace (default): a SecretStore in the namespace; ExternalSecrets read it', () => {
    const objects = render(aws());
    expect(objects.map((o) => o.kind).sort()).toEqual(['ExternalSecret', 'SecretStore', 'ServiceAccount']);
    expect(objects.find((o) => o.kind === 'ExternalSecret').spec.secretStoreRef).toEqual({
      name: 'aws-secrets-manager',
      kind: 'SecretStore',
    });
  });

  test.each([true, false])(
    'cluster: a ClusterSecretStore only this namespace may use, authenticating as its IRSA service account (namespaced chart: %s)',
    (namespacedChart) => {
      const objects = render(aws('cluster'), namespacedChart);
      const store = objects.find((o) => o.kind === 'ClusterSecretStore');
      expect(store.metadata.name).toBe('shop-aws-secrets-manager');
      expect(store.metadata.namespace).toBeUndefined();
      expect(store.spec.conditions).toEqual([{ namespaces: ['shop'] }]);
      expect(store.spec.provider.aws.auth.jwt.serviceAccountRef).toEqual({ name: 'external-secrets-reader', namespace: 'shop' });
      const sa = objects.find((o) => o.kind === 'ServiceAccount');
      expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/shop-secrets');
      expect(objects.find((o) => o.kind === 'ExternalSecret').spec.secretStoreRef).toEqual({
        name: 'shop-aws-secrets-manager',
        kind: 'ClusterSecretStore',
      });
      expect(
        new SchemaCheck().run({ objects: objects.map((object, index) => ({ env: 'prod', file: 'x', index, object })), environments: {} }),
      ).toEqual([]);
    },
  );

  test('a bad scope is refused', () => {
    expect(() => render({ ...aws(), storeScope: 'global' } as Doc)).toThrow(
      "SecretsBackend.provider.storeScope: got 'global'; expected 'namespace' or 'cluster'",
    );
  });

  test('config: storeScope needs aws-secrets-manager, and only namespace|cluster', () => {
    const dev = envConfig('dev');
    dev.secrets.storeScope = 'cluster';
    expect(configProblems(dev)).toContain(
      'secrets.storeScope: got "cluster"; expected unset unless secrets.provider is \'aws-secrets-manager\'',
    );
    const prod = envConfig('prod');
    prod.secrets.storeScope = 'global';
    expect(configProblems(prod)).toContain('secrets.storeScope: got "global"');
  });
});
