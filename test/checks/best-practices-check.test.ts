import { BestPracticesCheck } from '../../lib/checks/best-practices-check';
import { goodDeployment, manifests, mutate, rulesOf } from './helpers';
import { Doc } from '../support/doc';

const check = new BestPracticesCheck();
const facts = { dev: { monitoringRelease: 'kube-prometheus-stack', graphs: {} } };
const run = (...objects: Doc[]) => check.run({ objects: manifests(objects), environments: facts });
const meta = (name: string, extra: Record<string, string> = {}) => ({
  name,
  namespace: 'shop',
  labels: { 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/managed-by': 'cdk8s', ...extra },
});
const pdb = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: meta('web'),
  spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } },
};
const hpa = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: meta('web'),
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5 },
};
const cronJob = (spec: Doc = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: meta('backup', { 'app.kubernetes.io/name': 'backup', 'app.kubernetes.io/instance': 'shop' }),
  spec: {
    schedule: '0 2 * * *',
    concurrencyPolicy: 'Forbid',
    startingDeadlineSeconds: 300,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: {
      spec: {
        activeDeadlineSeconds: 3600,
        template: mutate(goodDeployment().spec.template, (t) => {
          t.metadata.labels['app.kubernetes.io/name'] = 'backup';
          delete t.spec.containers[0].readinessProbe;
          delete t.spec.containers[0].livenessProbe;
        }),
      },
    },
    ...spec,
  },
});

describe('best practices check', () => {
  test('a well-formed deployment, HPA, PDB and CronJob pass (jobs need no probes)', () => {
    const scaled = mutate(goodDeployment(), (d) => {
      delete d.spec.replicas;
    });
    expect(run(scaled, hpa, pdb, cronJob())).toEqual([]);
  });

  test.each([
    ['untagged', 'nginx'],
    ['latest', 'nginx:latest'],
    ['registry port is not a tag', 'registry.local:5000/nginx'],
    ['malformed digest', 'nginx@sha256:abc'],
    ['empty tag', 'nginx:'],
  ])('bp/image-pinned fires for an %s image', (_what, image) => {
    const v = run(
      mutate(goodDeployment(), (d) => {
        d.spec.template.spec.containers[0].image = image;
      }),
    );
    expect(v).toEqual([
      expect.objectContaining({
        rule: 'bp/image-pinned',
        field: 'spec.template.spec.containers[0].image',
        message: expect.stringContaining(image),
      }),
    ]);
  });

  test.each([
    'registry.local:5000/nginx@sha256:' + 'a'.repeat(64),
    'nginx:latest@sha256:' + 'a'.repeat(64),
    'registry.local:5000/team/nginx:1.27.3',
    'nginx:1.27.3-alpine',
  ])('digests and version tags are pinned: %s', (image) => {
    expect(
      run(
        mutate(goodDeployment(), (d) => {
          d.spec.template.spec.containers[0].image = image;
        }),
      ),
    ).toEqual([]);
  });

  test('bp/resources needs memory request and limit and a CPU request', () => {
    const v = run(
      mutate(goodDeployment(), (d) => {
        d.spec.template.spec.containers[0].resources = { limits: { cpu: '1' } };
      }),
    );
    expect(v.map((x) => x.field)).toEqual([
      'spec.template.spec.containers[0].resources.requests.memory',
      'spec.template.spec.containers[0].resources.requests.cpu',
      'spec.template.spec.containers[0].resources.limits.memory',
    ]);
  });

  test('bp/probes needs readiness and liveness on long-running containers', () => {
    const v = run(
      mutate(goodDeployment(), (d) => {
        delete d.spec.template.spec.containers[0].readinessProbe;
        delete d.spec.template.spec.containers[0].livenessProbe;
      }),
    );
    expect(v.map((x) => [x.rule, x.field])).toEqual([
      ['bp/probes', 'spec.template.spec.containers[0].readinessProbe'],
      ['bp/probes', 'spec.template.spec.containers[0].livenessProbe'],
    ]);
  });

  test('bp/automount-token fires unless the token is off or the account is bound to a role', () => {
    const tokenOn = mutate(goodDeployment(), (d) => {
      delete d.spec.template.spec.automountServiceAccountToken;
      d.spec.template.spec.serviceAccountName = 'web';
    });
    expect(rulesOf(run(tokenOn))).toEqual(['bp/automount-token']);
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('web'), automountServiceAccountToken: false };
    expect(run(tokenOn, sa)).toEqual([]);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('web'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'web' }],
    };
    expect(run(tokenOn, binding)).toEqual([]);
  });

  test('bp/pdb fires for a workload with several replicas and no PDB', () => {
    expect(run(goodDeployment({ replicas: 3 }))).toEqual([
      expect.objectContaining({ rule: 'bp/pdb', message: expect.stringContaining('can run 3 replicas') }),
    ]);
    expect(run(goodDeployment({ replicas: 3 }), pdb)).toEqual([]);
    const scaled = mutate(goodDeployment(), (d) => {
      delete d.spec.replicas;
    });
    expect(rulesOf(run(scaled, hpa))).toEqual(['bp/pdb']);
  });

  test('bp/hpa fires for a fixed replica count under an HPA and for a missing target', () => {
    expect(run(goodDeployment({ replicas: 2 }), hpa, pdb)).toEqual([expect.objectContaining({ rule: 'bp/hpa', field: 'spec.replicas' })]);
    expect(run(hpa)).toEqual([expect.objectContaining({ rule: 'bp/hpa', field: 'spec.scaleTargetRef' })]);
  });

  test('bp/labels fires for objects and pod templates without the recommended labels', () => {
    const d = mutate(goodDeployment(), (x) => {
      delete x.metadata.labels['app.kubernetes.io/managed-by'];
      delete x.spec.template.metadata.labels['app.kubernetes.io/instance'];
    });
    expect(run(d).map((x) => x.field)).toEqual([
      'metadata.labels["app.kubernetes.io/managed-by"]',
      'spec.template.metadata.labels["app.kubernetes.io/instance"]',
    ]);
    expect(run({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } }).map((x) => x.rule)).toEqual([
      'bp/labels',
      'bp/labels',
    ]);
  });

  test.each([
    ['spec.concurrencyPolicy', { concurrencyPolicy: 'Allow' }],
    ['spec.startingDeadlineSeconds', { startingDeadlineSeconds: undefined }],
    ['spec.successfulJobsHistoryLimit', { successfulJobsHistoryLimit: undefined }],
    ['spec.failedJobsHistoryLimit', { failedJobsHistoryLimit: undefined }],
  ])('bp/cronjob fires at %s', (field, spec) => {
    expect(run(cronJob(spec))).toEqual([expect.objectContaining({ rule: 'bp/cronjob', field })]);
  });

  test('bp/cronjob needs an active deadline on the job', () => {
    const c = mutate(cronJob(), (x) => {
      delete x.spec.jobTemplate.spec.activeDeadlineSeconds;
    });
    expect(run(c)).toEqual([expect.objectContaining({ rule: 'bp/cronjob', field: 'spec.jobTemplate.spec.activeDeadlineSeconds' })]);
  });

  test('bp/release-label: monitoring objects carry the environment release label', () => {
    const sm = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: meta('web', { release: 'prometheus' }),
      spec: { selector: {}, endpoints: [] },
    };
    expect(run(sm)).toEqual([
      expect.objectContaining({ rule: 'bp/release-label', message: expect.stringContaining("expected 'kube-prometheus-stack'") }),
    ]);
    expect(
      run(
        mutate(sm, (s) => {
          s.metadata.labels.release = 'kube-prometheus-stack';
        }),
      ),
    ).toEqual([]);
  });

  describe('bp/rate-limit-source: every Traefik rateLimit counts clients by their connection address', () => {
    const middleware = (rateLimit: Doc) => ({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: meta('edge-auth-rate-limit'),
      spec: { rateLimit: { average: 5, burst: 5, period: '1m', ...rateLimit } },
    });
    const findings = (rateLimit: Doc) => run(middleware(rateLimit)).map((v) => [v.rule, v.field, v.message]);

    test('the client address (ipStrategy depth 0) passes, as does a Middleware without a rateLimit', () => {
      expect(run(middleware({ sourceCriterion: { ipStrategy: { depth: 0 } } }))).toEqual([]);
      expect(run({ ...middleware({}), spec: { compress: {} } })).toEqual([]);
    });

    test.each([
      ['no sourceCriterion', {}, /^no sourceCriterion; expected \{ ipStrategy: \{ depth: 0 \} \}/],
      [
        'an X-Forwarded-For depth',
        { sourceCriterion: { ipStrategy: { depth: 1 } } },
        /got ipStrategy \{"depth":1\}, which reads X-Forwarded-For/,
      ],
      [
        'excludedIPs',
        { sourceCriterion: { ipStrategy: { excludedIPs: ['10.0.0.0/8'] } } },
        /got ipStrategy \{"excludedIPs":\["10.0.0.0\/8"\]\}, which reads X-Forwarded-For/,
      ],
      [
        'a client-chosen header',
        { sourceCriterion: { requestHeaderName: 'X-User' } },
        /got requestHeaderName 'X-User' \(a value the client chooses\)/,
      ],
      ['the Host', { sourceCriterion: { requestHost: true } }, /got requestHost: true \(one budget shared by every client of a host\)/],
      ['an empty criterion', { sourceCriterion: {} }, /got \{\} without ipStrategy/],
    ])('fires for %s', (_what, rateLimit, message) => {
      expect(findings(rateLimit)).toEqual([['bp/rate-limit-source', 'spec.rateLimit.sourceCriterion', expect.stringMatching(message)]]);
    });
  });

  /* HPAs, PDBs and HPA targets are looked up by namespace, kind and name: the same findings as a scan. */
  test('bp/hpa and bp/pdb look in the workload namespace only, and name the first HPA of a target', () => {
    const other = (o: Doc) => mutate(o, (c) => (c.metadata.namespace = 'other'));
    const second = mutate(hpa, (h) => (h.metadata.name = 'web-2'));
    expect(run(goodDeployment({ replicas: 2 }), hpa, second, pdb)).toEqual([
      expect.objectContaining({ rule: 'bp/hpa', message: expect.stringContaining('HorizontalPodAutoscaler web owns') }),
    ]);
    // an HPA or a PDB in another namespace neither owns the replicas nor covers the pods
    expect(rulesOf(run(goodDeployment({ replicas: 2 }), other(hpa), other(pdb)))).toEqual(['bp/hpa', 'bp/pdb']);
    // the HPA's target must be in the HPA's namespace, with its kind
    const statefulTarget = mutate(hpa, (h) => (h.spec.scaleTargetRef.kind = 'StatefulSet'));
    expect(run(goodDeployment(), other(hpa), statefulTarget, pdb).map((v) => [v.rule, v.object?.object.metadata?.namespace])).toEqual([
      ['bp/hpa', 'other'],
      ['bp/hpa', 'shop'],
    ]);
  });
});
