import { KubeObject, ManifestObject } from '../../lib/checks';
import { Doc } from '../support/doc';

/** Wraps raw objects as manifest objects of one environment. */
export function manifests(objects: readonly unknown[], env = 'dev'): ManifestObject[] {
  // Fixtures may be broken on purpose (even not objects): the checks read whatever a YAML file can hold.
  return objects.map((object, index) => ({ env, file: `${env}/test.k8s.yaml`, index, object: object as KubeObject }));
}

/** A Namespace labelled for Pod Security. */
export function namespace(name = 'shop', level = 'restricted', annotations?: Record<string, string>): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/part-of': name, 'app.kubernetes.io/managed-by': 'cdk8s', 'pod-security.kubernetes.io/enforce': level },
      ...(annotations ? { annotations } : {}),
    },
  };
}

const labels = {
  'app.kubernetes.io/name': 'web',
  'app.kubernetes.io/instance': 'shop',
  'app.kubernetes.io/part-of': 'shop',
  'app.kubernetes.io/managed-by': 'cdk8s',
};

/** A Deployment that passes every rule (restricted, pinned, resources, probes, labels, no token). */
export function goodDeployment(overrides: { name?: string; namespace?: string; replicas?: number } = {}): Doc {
  const name = overrides.name ?? 'web';
  const l = { ...labels, 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: overrides.namespace ?? 'shop', labels: l },
    spec: {
      replicas: overrides.replicas ?? 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: l },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: 'nginxinc/nginx-unprivileged:1.27.3',
              ports: [{ name: 'http', containerPort: 8080 }],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              readinessProbe: { httpGet: { path: '/health', port: 'http' } },
              livenessProbe: { httpGet: { path: '/health', port: 'http' } },
            },
          ],
        },
      },
    },
  };
}

/** A deep copy, changed by `edit`. */
export function mutate<T>(o: T, edit: (copy: Doc) => void): T {
  const copy = JSON.parse(JSON.stringify(o)) as T;
  edit(copy);
  return copy;
}

/** Rule ids of a violation list, sorted and unique. */
export function rulesOf(violations: ReadonlyArray<{ rule: string }>): string[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}
