/*
 * ManifestChecks.prepare (called by scripts/cdk8s-synth.js while the app runs) loads the kubernetes-models
 * validator of every built-in kind ahead of the first check; the checks still report what they did.
 */
import { ManifestChecks } from '../../lib/checks/plugin';
import { preloadKubernetesModels, SchemaCheck } from '../../lib/checks/schema-check';
import kubernetes from '../../imports/schemas/kubernetes.json';

test('prepare loads a validator for (nearly) every built-in kind, and the schema check still fails a bad object', () => {
  ManifestChecks.prepare();
  const kinds = Object.keys((kubernetes as { kinds: Record<string, string> }).kinds).length;
  // kinds that kubernetes-models has no class for are skipped (as the check itself skips them)
  expect(preloadKubernetesModels()).toBeGreaterThan(kinds * 0.8);
  const violations = new SchemaCheck().run({
    environments: {},
    objects: [
      {
        env: 'dev',
        file: 'dev/x.k8s.yaml',
        index: 0,
        object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'x' }, spec: { replicas: 'two' } },
      },
    ],
  });
  expect(violations.map((v) => `${v.rule} ${v.field}`)).toEqual(expect.arrayContaining(['schema/type spec.replicas']));
});
