import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IDeploymentStatus } from 'kubernetes-models/apps/v1/DeploymentStatus';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { diffObjects, formatChanges, withoutServerFields } from '../../cli/diff';
import { KubeObject } from '../../cli/objects';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A Deployment whose spec and pod spec the tests edit directly. */
type DeploymentDoc = KubeObject & { spec: IDeploymentSpec & { template: { spec: IPodSpec } }; status?: IDeploymentStatus };

// A live Deployment as the API server returns it: defaults filled in, server-managed metadata, status.
const live: DeploymentDoc = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'api',
    namespace: 'wondernest',
    uid: '0b1c2d3e',
    resourceVersion: '48151',
    generation: 4,
    creationTimestamp: '2026-03-01T10:00:00Z',
    labels: { 'app.kubernetes.io/name': 'api' },
    annotations: { 'deployment.kubernetes.io/revision': '4' },
    managedFields: [
      {
        manager: 'backends-cli',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2026-03-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
    ],
  },
  spec: {
    replicas: 2,
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'api' } },
      spec: {
        containers: [
          {
            name: 'api',
            image: 'ghcr.io/acme/api:1.4.2',
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
            env: [
              { name: 'LOG_LEVEL', value: 'info' },
              { name: 'PORT', value: '8080' },
            ],
          },
          { name: 'exporter', image: 'exporter:1', imagePullPolicy: 'IfNotPresent' },
        ],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
      },
    },
  },
  status: { observedGeneration: 4, replicas: 2, readyReplicas: 2 },
};

describe('diffObjects', () => {
  test('a dry-run result equal to the live object but for server fields: no changes', () => {
    const predicted = clone(live);
    predicted.metadata.resourceVersion = '48152';
    predicted.metadata.generation = 5;
    predicted.metadata.managedFields = [{ manager: 'backends-cli', operation: 'Apply', time: '2026-03-02T08:00:00Z' }];
    predicted.metadata.annotations = { 'deployment.kubernetes.io/revision': '5' };
    predicted.status = { observedGeneration: 3 };
    expect(diffObjects(live, predicted)).toEqual([]);
  });

  test('a changed image: one change, the container named in the path', () => {
    const predicted = clone(live);
    predicted.spec.template.spec.containers[0].image = 'ghcr.io/acme/api:1.5.0';
    expect(diffObjects(live, predicted)).toEqual([
      { path: 'spec.template.spec.containers[api].image', type: 'changed', from: 'ghcr.io/acme/api:1.4.2', to: 'ghcr.io/acme/api:1.5.0' },
    ]);
  });

  test('added and removed fields and list items by name; label keys with dots quoted', () => {
    const predicted = clone(live);
    predicted.spec.replicas = 3;
    predicted.metadata.labels!['app.kubernetes.io/version'] = '1.5.0';
    predicted.spec.template.spec.containers[0].env = [
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'FEATURE_X', value: 'on' },
    ];
    predicted.spec.template.spec.containers.pop();
    expect(diffObjects(live, predicted)).toEqual([
      { path: 'metadata.labels["app.kubernetes.io/version"]', type: 'added', to: '1.5.0' },
      { path: 'spec.replicas', type: 'changed', from: 2, to: 3 },
      { path: 'spec.template.spec.containers[api].env[LOG_LEVEL].value', type: 'changed', from: 'info', to: 'debug' },
      { path: 'spec.template.spec.containers[api].env[PORT]', type: 'removed', from: { name: 'PORT', value: '8080' } },
      { path: 'spec.template.spec.containers[api].env[FEATURE_X]', type: 'added', to: { name: 'FEATURE_X', value: 'on' } },
      { path: 'spec.template.spec.containers[exporter]', type: 'removed', from: live.spec.template.spec.containers[1] },
    ]);
  });

  test('reordered named items are reported as an order change', () => {
    const predicted = clone(live);
    predicted.spec.template.spec.containers.reverse();
    expect(diffObjects(live, predicted)).toEqual([
      { path: 'spec.template.spec.containers', type: 'changed', from: ['api', 'exporter'], to: ['exporter', 'api'] },
    ]);
  });

  test('lists without names are compared by index', () => {
    const a: KubeObject & { spec: { policyTypes: string[] } } = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'p', namespace: 'n' },
      spec: { policyTypes: ['Ingress', 'Egress'] },
    };
    const b = clone(a);
    b.spec.policyTypes = ['Ingress'];
    expect(diffObjects(a, b)).toEqual([{ path: 'spec.policyTypes[1]', type: 'removed', from: 'Egress' }]);
  });

  test('an object that does not exist: one addition of the whole object, without server fields', () => {
    const changes = diffObjects(undefined, live);
    expect(changes).toHaveLength(1);
    expect(changes[0].path).toBe('');
    expect(changes[0].type).toBe('added');
    expect((changes[0].to as KubeObject).metadata).toEqual({
      name: 'api',
      namespace: 'wondernest',
      labels: { 'app.kubernetes.io/name': 'api' },
    });
    expect((changes[0].to as KubeObject).status).toBeUndefined();
  });

  test('withoutServerFields keeps user annotations and drops the server ones', () => {
    const o = clone(live);
    o.metadata.annotations = {
      'deployment.kubernetes.io/revision': '4',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      team: 'core',
    };
    expect((withoutServerFields(o).metadata as KubeObject['metadata']).annotations).toEqual({ team: 'core' });
  });
});

describe('formatChanges', () => {
  test('one line per change with +, - and ~', () => {
    const predicted = clone(live);
    predicted.spec.replicas = 3;
    predicted.spec.paused = true;
    delete predicted.spec.revisionHistoryLimit;
    expect(formatChanges('Deployment', diffObjects(live, predicted))).toEqual([
      '    + spec.paused: true',
      '    ~ spec.replicas: 2 -> 3',
      '    - spec.revisionHistoryLimit: 10',
    ]);
  });

  test('Secret values never reach the output', () => {
    const a: KubeObject & { data: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n' },
      type: 'Opaque',
      data: { password: 'b2xk' },
    };
    const b = clone(a);
    b.data.password = 'bmV3';
    b.data.user = 'YWRtaW4=';
    const lines = formatChanges('Secret', diffObjects(a, b)).join('\n');
    expect(lines).toBe('    ~ data.password: "<redacted>" -> "<redacted>"\n    + data.user: "<redacted>"');
    expect(lines).not.toMatch(/b2xk|bmV3|YWRtaW4/);
    expect(formatChanges('Secret', diffObjects(undefined, b)).join('\n')).not.toMatch(/bmV3|YWRtaW4/);
  });
});
