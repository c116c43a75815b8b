import { SchemaCheck } from '../../lib/checks/schema-check';
import { goodDeployment, manifests, mutate, namespace } from './helpers';
import { Doc } from '../support/doc';

const check = new SchemaCheck();
const run = (...objects: Doc[]) => check.run({ objects: manifests(objects), environments: {} });

const serviceMonitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'web', namespace: 'shop', labels: { release: 'kps' } },
  spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }] },
};

describe('schema check', () => {
  test('valid built-in and custom objects pass', () => {
    expect(run(namespace(), goodDeployment(), serviceMonitor)).toEqual([]);
  });

  test('a misspelled field in a built-in kind is an unknown-field error naming the allowed fields', () => {
    const bad = mutate(goodDeployment(), (d) => {
      d.spec.selectr = d.spec.selector;
      delete d.spec.selector;
    });
    const v = run(bad);
    expect(v).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'schema/unknown-field',
          field: 'spec.selectr',
          message: expect.stringContaining(
            'expected one of: minReadySeconds, paused, progressDeadlineSeconds, replicas, revisionHistoryLimit, selector, strategy',
          ),
        }),
        expect.objectContaining({ rule: 'schema/type', field: 'spec', message: "missing required field 'selector'" }),
      ]),
    );
  });

  test('unknown fields deep inside pod templates are found', () => {
    const v = run(
      mutate(goodDeployment(), (d) => {
        d.spec.template.spec.containers[0].securityContext.bogusField = true;
      }),
    );
    expect(v).toEqual([
      expect.objectContaining({ rule: 'schema/unknown-field', field: 'spec.template.spec.containers[0].securityContext.bogusField' }),
    ]);
  });

  test('unknown fields in custom resources are errors', () => {
    const v = run(
      mutate(serviceMonitor, (s) => {
        s.spec.bogusField = 1;
      }),
    );
    expect(v).toEqual([
      expect.objectContaining({ rule: 'schema/unknown-field', field: 'spec.bogusField', message: expect.stringContaining('endpoints') }),
    ]);
  });

  test('types, enums and quantities are validated for built-in kinds', () => {
    const v = run(
      mutate(goodDeployment(), (d) => {
        const c = d.spec.template.spec.containers[0];
        c.imagePullPolicy = 'Sometimes';
        c.ports[0].containerPort = '8080';
        c.resources.limits.memory = 'lots';
      }),
    );
    const fields = v.map((x) => x.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'spec.template.spec.containers[0].imagePullPolicy',
        'spec.template.spec.containers[0].ports[0].containerPort',
        'spec.template.spec.containers[0].resources.limits.memory',
      ]),
    );
    expect(v.find((x) => x.field?.endsWith('imagePullPolicy'))!.message).toContain('Always, IfNotPresent, Never');
  });

  test('types, enums and required fields are validated for custom resources', () => {
    const v = run(
      mutate(serviceMonitor, (s) => {
        s.spec.endpoints[0].interval = 30;
        s.spec.endpoints[0].scheme = 'gopher';
        delete s.spec.selector;
      }),
    );
    expect(v.map((x) => [x.rule, x.field])).toEqual(
      expect.arrayContaining([
        ['schema/type', 'spec.endpoints[0].interval'],
        ['schema/type', 'spec.endpoints[0].scheme'],
        ['schema/type', 'spec.selector'],
      ]),
    );
  });

  test('namespaced custom resources need a namespace; cluster-scoped ones must not have one', () => {
    expect(
      run(
        mutate(serviceMonitor, (s) => {
          delete s.metadata.namespace;
        }),
      ),
    ).toEqual([expect.objectContaining({ field: 'metadata.namespace', message: expect.stringContaining('is namespaced') })]);
    const issuer = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'ca', namespace: 'x' },
      spec: { selfSigned: {} },
    };
    expect(run(issuer)).toEqual([
      expect.objectContaining({ field: 'metadata.namespace', message: expect.stringContaining('cluster-scoped') }),
    ]);
  });

  test('kinds without a schema are refused with the import hint', () => {
    const v = run({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    expect(v).toEqual([expect.objectContaining({ rule: 'schema/known-kind', message: expect.stringContaining('npm run import') })]);
    // a served CRD version only: external-secrets v1beta1 is not imported
    expect(
      run({ apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'x', namespace: 'shop' }, spec: {} })[0]
        .rule,
    ).toBe('schema/known-kind');
  });

  test('names must be DNS-1123 (Services DNS-1035 labels), container and port names valid', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '9web', namespace: 'shop' },
      spec: { ports: [{ name: 'HTTP', port: 80 }] },
    };
    expect(run(svc).map((x) => [x.rule, x.field])).toEqual([
      ['schema/name', 'metadata.name'],
      ['schema/name', 'spec.ports[0].name'],
    ]);
    const d = mutate(goodDeployment(), (x) => {
      x.metadata.name = 'Web_App';
      x.spec.template.spec.containers[0].name = 'App';
      x.spec.template.spec.containers[0].ports[0].name = 'way-too-long-port-name';
    });
    expect(
      run(d)
        .filter((x) => x.rule === 'schema/name')
        .map((x) => x.field),
    ).toEqual(['metadata.name', 'spec.template.spec.containers[0].name', 'spec.template.spec.containers[0].ports[0].name']);
    expect(
      run(
        mutate(namespace(), (n) => {
          n.metadata.name = 'a'.repeat(64);
        }),
      )[0],
    ).toMatchObject({ rule: 'schema/name', message: expect.stringContaining('DNS-1123 label') });
  });

  test('ports must be within 1-65535', () => {
    const v = run(
      mutate(goodDeployment(), (d) => {
        d.spec.template.spec.containers[0].ports[0].containerPort = 70000;
      }),
    );
    expect(v).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'schema/port-range',
          field: 'spec.template.spec.containers[0].ports[0].containerPort',
          message: 'got 70000; expected an integer port between 1 and 65535',
        }),
      ]),
    );
    const np = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'x', namespace: 'shop' },
      spec: { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] },
    };
    expect(run(np)).toEqual([expect.objectContaining({ rule: 'schema/port-range', field: 'spec.ingress[0].ports[0].port' })]);
  });

  test('label keys and values, selectors and annotation keys must be legal', () => {
    const d = mutate(goodDeployment(), (x) => {
      x.metadata.labels['a/b/c'] = 'x';
      x.metadata.labels.version = 'v1 beta';
      x.metadata.annotations = { 'bad key!': 'anything goes in values' };
      x.spec.selector.matchLabels.tier = '-front';
    });
    expect(
      run(d)
        .filter((x) => x.rule === 'schema/label')
        .map((x) => x.field),
    ).toEqual([
      'metadata.labels["a/b/c"]',
      'metadata.labels.version',
      'metadata.annotations["bad key!"]',
      'spec.selector.matchLabels.tier',
    ]);
  });

  describe('the name and label rules follow the Kubernetes formats at their limits', () => {
    const service = (edit: (s: Doc) => void) =>
      mutate(
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } },
        edit,
      );
    const deployment = (edit: (d: Doc) => void) => mutate(goodDeployment(), edit);
    const container = 'spec.template.spec.containers[0]';
    // 253 characters: three 63-character labels and one of 61, joined by dots.
    const subdomain253 = ['a', 'b', 'c'].map((c) => c.repeat(63)).join('.') + '.' + 'd'.repeat(61);
    const nameAndLabelFindings = (o: unknown) =>
      run(o)
        .filter((v) => v.rule === 'schema/name' || v.rule === 'schema/label')
        .map((v) => [v.rule, v.field]);

    test.each([
      ['a 253-character Deployment name', deployment((d) => (d.metadata.name = subdomain253)), []],
      ['a 254-character Deployment name', deployment((d) => (d.metadata.name = subdomain253 + 'd')), [['schema/name', 'metadata.name']]],
      ['a 63-character Service name', service((x) => (x.metadata.name = 'a'.repeat(63))), []],
      ['a 64-character Service name', service((x) => (x.metadata.name = 'a'.repeat(64))), [['schema/name', 'metadata.name']]],
      ['a Namespace-style name with a dot on a Service', service((x) => (x.metadata.name = 'web.v2')), [['schema/name', 'metadata.name']]],
      ['a namespace with capitals', deployment((d) => (d.metadata.namespace = 'Shop')), [['schema/name', 'metadata.namespace']]],
      ['a 64-character namespace', deployment((d) => (d.metadata.namespace = 'n'.repeat(64))), [['schema/name', 'metadata.namespace']]],
      [
        'a 64-character container name',
        deployment((d) => (d.spec.template.spec.containers[0].name = 'c'.repeat(64))),
        [['schema/name', `${container}.name`]],
      ],
      ['a 15-character container port name', deployment((d) => (d.spec.template.spec.containers[0].ports[0].name = 'p'.repeat(15))), []],
      [
        'a 16-character container port name',
        deployment((d) => (d.spec.template.spec.containers[0].ports[0].name = 'p'.repeat(16))),
        [['schema/name', `${container}.ports[0].name`]],
      ],
      [
        'a container port name without a letter',
        deployment((d) => (d.spec.template.spec.containers[0].ports[0].name = '8080')),
        [['schema/name', `${container}.ports[0].name`]],
      ],
      [
        "a container port name with '--'",
        deployment((d) => (d.spec.template.spec.containers[0].ports[0].name = 'web--api')),
        [['schema/name', `${container}.ports[0].name`]],
      ],
      ['a 63-character Service port name (a DNS label, not an IANA name)', service((x) => (x.spec.ports[0].name = 'p'.repeat(63))), []],
      [
        'a 64-character Service port name',
        service((x) => (x.spec.ports[0].name = 'p'.repeat(64))),
        [['schema/name', 'spec.ports[0].name']],
      ],
      ['a 63-character label value', deployment((d) => (d.metadata.labels.tier = 'v'.repeat(63))), []],
      ['an empty label value', deployment((d) => (d.metadata.labels.tier = '')), []],
      [
        'a 64-character label value',
        deployment((d) => (d.metadata.labels.tier = 'v'.repeat(64))),
        [['schema/label', 'metadata.labels.tier']],
      ],
      ['a 63-character label name', deployment((d) => (d.metadata.labels['example.com/' + 'k'.repeat(63)] = 'x')), []],
      [
        'a 64-character label name',
        deployment((d) => (d.metadata.labels['k'.repeat(64)] = 'x')),
        [['schema/label', `metadata.labels.${'k'.repeat(64)}`]],
      ],
      [
        'a label prefix with capitals',
        deployment((d) => (d.metadata.labels['Example.com/tier'] = 'x')),
        [['schema/label', 'metadata.labels["Example.com/tier"]']],
      ],
      [
        'an annotation key prefix over 253 characters',
        deployment((d) => (d.metadata.annotations = { [subdomain253 + 'd/key']: 'anything' })),
        [['schema/label', `metadata.annotations["${subdomain253}d/key"]`]],
      ],
    ])('%s', (_, object, expected) => {
      expect(nameAndLabelFindings(object)).toEqual(expected);
    });

    test('messages say what the format allows', () => {
      expect(run(service((x) => (x.metadata.name = 'web.v2')))[0].message).toBe(
        "got 'web.v2'; expected a DNS-1035 label (lowercase letters, digits and '-', 1-63 characters, starting with a letter)",
      );
      expect(run(deployment((d) => (d.spec.template.spec.containers[0].ports[0].name = 'p'.repeat(16))))[0].message).toBe(
        `got '${'p'.repeat(16)}'; expected a port name (1-15 lowercase letters, digits and single '-', with at least one letter)`,
      );
    });
  });

  test('a CRD field that is itself named `description` is known (AppProject spec.description)', () => {
    const project = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'p', namespace: 'argocd' },
      spec: { description: 'stacks', sourceRepos: ['https://example.com/r.git'] },
    };
    expect(run(project)).toEqual([]);
    expect(
      run(
        mutate(project, (p) => {
          p.spec.descripton = 'typo';
        }),
      )[0],
    ).toMatchObject({ rule: 'schema/unknown-field', field: 'spec.descripton' });
  });

  test('a document that is not an object is refused', () => {
    expect(run('just a string')[0]).toMatchObject({ rule: 'schema/known-kind' });
  });
});
