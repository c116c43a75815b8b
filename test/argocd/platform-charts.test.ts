import { ENVIRONMENTS, loadEnvironments } from '../../config';
import * as fs from 'fs';
import * as path from 'path';
import {
  clusterAutoscalerPolicy,
  ARGOCD_INSTALL,
  CERT_MANAGER,
  declaredCapacity,
  EXTERNAL_SECRETS,
  KIND_INGRESS,
  KUBE_PROMETHEUS_STACK,
  METRICS_SERVER,
  PLATFORM_CHARTS,
  platformReleasesFor,
  TRAEFIK,
  validatePlatformCharts,
} from '../../config/platform-charts';
import { APP_WAVES } from '../../lib/output/argocd';
import { Doc } from '../support/doc';

const dev = ENVIRONMENTS.dev;
const prod = ENVIRONMENTS.prod;
const release = (env: typeof dev, name: string) => {
  const r = platformReleasesFor(env).find((x) => x.name === name);
  if (!r) throw new Error(`${name} is not installed in ${env.name}`);
  return r;
};

describe('pinned platform charts', () => {
  test('ship the operator versions the CRD bindings are generated from (../shared/crds/README.md)', () => {
    expect(Object.fromEntries(PLATFORM_CHARTS.map((c) => [c.name, `${c.chart}@${c.version} -> ${c.appVersion}`]))).toEqual({
      'cert-manager': 'cert-manager@v1.21.1 -> v1.21.1',
      'external-secrets': 'external-secrets@2.9.0 -> v2.9.0',
      'kube-prometheus-stack': 'kube-prometheus-stack@88.2.0 -> v0.93.0',
      'metrics-server': 'metrics-server@3.13.0 -> v0.8.0',
      // kubernetes/autoscaler charts/cluster-autoscaler/Chart.yaml: version 9.43.1, appVersion 1.31.0
      'cluster-autoscaler': 'cluster-autoscaler@9.43.1 -> 1.31.0',
      traefik: 'traefik@41.1.0 -> v3.7.9',
    });
    expect(ARGOCD_INSTALL.version).toBe('v3.5.1');
    expect(ARGOCD_INSTALL.manifestUrl).toContain(`/${ARGOCD_INSTALL.version}/manifests/install.yaml`);
  });

  test('every environment gets every chart of its profile (the Cluster Autoscaler on EKS only), in wave order within the operator waves', () => {
    const common = ['cert-manager', 'external-secrets', 'kube-prometheus-stack', 'metrics-server', 'traefik'];
    expect(platformReleasesFor(dev).map((r) => r.name)).toEqual(common);
    expect(platformReleasesFor(prod).map((r) => r.name)).toEqual([
      'cert-manager',
      'external-secrets',
      'kube-prometheus-stack',
      'cluster-autoscaler',
      'metrics-server',
      'traefik',
    ]);
    for (const env of [dev, prod]) {
      const releases = platformReleasesFor(env);
      for (const r of releases) {
        expect(r.syncWave).toBeGreaterThanOrEqual(APP_WAVES.operatorsFirst);
        expect(r.syncWave).toBeLessThanOrEqual(APP_WAVES.operatorsLast);
      }
    }
  });

  test('CRD providers come before their users: cert-manager and External Secrets before the stacks, Prometheus Operator before ServiceMonitors, Traefik CRDs before Middlewares', () => {
    expect(CERT_MANAGER.syncWave).toBeLessThan(EXTERNAL_SECRETS.syncWave);
    expect(EXTERNAL_SECRETS.syncWave).toBeLessThan(APP_WAVES.clusterConfig);
    // the gp3 StorageClass (cluster configuration) exists before Prometheus claims it
    expect(KUBE_PROMETHEUS_STACK.syncWave).toBeGreaterThan(APP_WAVES.clusterConfig);
    expect(KUBE_PROMETHEUS_STACK.syncWave).toBeLessThan(APP_WAVES.stacks);
    expect(TRAEFIK.syncWave).toBeLessThan(APP_WAVES.stacks);
  });

  test('server-side apply where a CRD exceeds the 256 KiB last-applied annotation', () => {
    expect(
      PLATFORM_CHARTS.filter((c) => c.serverSideApply)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['cert-manager', 'external-secrets', 'kube-prometheus-stack']);
  });

  test('Traefik on kind: NodePort 30080/30443 on the ingress-ready node, tolerating the control plane, matching kind-config.yaml', () => {
    const v = release(dev, 'traefik').values as Doc;
    expect(v.service).toEqual({ type: 'NodePort' });
    expect(v.ports.web.nodePort).toBe(KIND_INGRESS.httpNodePort);
    expect(v.ports.websecure.nodePort).toBe(KIND_INGRESS.httpsNodePort);
    expect(v.nodeSelector).toEqual({ 'ingress-ready': 'true' });
    expect(v.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(v.ingressClass).toEqual({ enabled: true, isDefaultClass: true, name: dev.ingress.className });
    expect(v.ports.web.redirections.entryPoint).toEqual({ to: 'websecure', scheme: 'https', permanent: true });
    expect(release(dev, 'traefik').namespace).toBe(dev.ingress.controllerNamespace);
  });

  test('Traefik on EKS: an internet-facing NLB with IP targets, two replicas and a PDB', () => {
    const v = release(prod, 'traefik').values as Doc;
    expect(v.service).toEqual({
      type: 'LoadBalancer',
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
        'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
        'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=false',
      },
    });
    expect(v.deployment.replicas).toBe(2);
    expect(v.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    expect(v.nodeSelector).toBeUndefined();
    expect(v.ports.web.nodePort).toBeUndefined();
  });

  test("Traefik on EKS: both entry points read the NLB's proxy protocol and believe X-Forwarded-* only from cluster.vpcCidr", () => {
    const other = { ...prod, cluster: { ...prod.cluster, vpcCidr: '10.42.0.0/16' } };
    for (const env of [prod, other]) {
      const v = release(env, 'traefik').values as Doc;
      const trust = { trustedIPs: [env.cluster.vpcCidr], insecure: false };
      // The annotation's '*' puts the PROXY header on every target group, so both ports must expect it.
      for (const port of ['web', 'websecure']) {
        expect(v.ports[port].proxyProtocol).toEqual(trust);
        expect(v.ports[port].forwardedHeaders).toEqual(trust);
      }
    }
    expect(prod.cluster.vpcCidr).toBe('10.0.0.0/16');
  });

  test('Traefik on kind: no proxy protocol (nothing in front of it sends one) and X-Forwarded-* believed from no one', () => {
    const v = release(dev, 'traefik').values as Doc;
    for (const port of ['web', 'websecure']) {
      expect(v.ports[port].proxyProtocol).toBeUndefined();
      expect(v.ports[port].forwardedHeaders).toEqual({ insecure: false });
    }
    expect(JSON.stringify(v)).not.toContain('aws-load-balancer');
  });

  test('Traefik on EKS without cluster.vpcCidr stops resolution, naming the field', () => {
    const noVpc = { ...prod, cluster: { ...prod.cluster, vpcCidr: undefined } };
    expect(() => release(noVpc, 'traefik')).toThrow(
      "environment 'prod': cluster.vpcCidr is unset; expected the VPC's IPv4 CIDR on EKS, such as '10.0.0.0/16'",
    );
  });

  test('kube-prometheus-stack selects what the stacks label with monitoring.release, in every namespace', () => {
    for (const env of [dev, { ...prod, monitoring: { ...prod.monitoring, release: 'kps-prod' } }]) {
      const r = release(env, 'kube-prometheus-stack');
      const spec = (r.values as Doc).prometheus.prometheusSpec;
      const selector = { matchLabels: { release: env.monitoring.release } };
      expect(r.releaseName).toBe(env.monitoring.release);
      expect(r.namespace).toBe(env.monitoring.namespace);
      for (const k of ['serviceMonitor', 'podMonitor', 'rule', 'probe']) {
        expect(spec[`${k}Selector`]).toEqual(selector);
        expect(spec[`${k}SelectorNilUsesHelmValues`]).toBe(false);
        expect(spec[`${k}NamespaceSelector`]).toEqual({});
      }
      expect((r.values as Doc).alertmanager.alertmanagerSpec.alertmanagerConfigSelector).toEqual(selector);
      expect((r.values as Doc).grafana.sidecar.dashboards).toMatchObject({
        label: 'grafana_dashboard',
        labelValue: '1',
        searchNamespace: 'ALL',
      });
      expect(r.podSecurity).toBe('privileged');
    }
  });

  test('Prometheus and Alertmanager persist on the gp3 class on EKS; kind keeps them ephemeral', () => {
    const values = (env: typeof dev) => release(env, 'kube-prometheus-stack').values as Doc;
    const claimOf = (storage: Doc) => storage.volumeClaimTemplate.spec;
    expect(claimOf(values(prod).prometheus.prometheusSpec.storageSpec)).toEqual({
      storageClassName: prod.storage.gp3StorageClass,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '50Gi' } },
    });
    expect(claimOf(values(prod).alertmanager.alertmanagerSpec.storage).storageClassName).toBe(prod.storage.gp3StorageClass);
    expect(values(dev).prometheus.prometheusSpec.storageSpec).toBeUndefined();
    expect(values(dev).alertmanager.alertmanagerSpec.storage).toBeUndefined();
  });

  test('the platform pods request in their values exactly what the capacity checks count', () => {
    for (const env of [dev, prod]) {
      const pods = declaredCapacity(loadEnvironments().find((e) => e.name === env.name)!).platform;
      const req = (name: string) => {
        const p = pods.find((x) => x.name === name)!;
        return { requests: { cpu: p.cpu, memory: p.memory } };
      };
      const kps = release(env, 'kube-prometheus-stack').values as Doc;
      expect(kps.prometheus.prometheusSpec.resources).toEqual(req('kube-prometheus-stack/prometheus'));
      expect(kps.grafana.resources).toEqual(req('kube-prometheus-stack/grafana'));
      expect(kps['prometheus-node-exporter'].resources).toEqual(req('kube-prometheus-stack/node-exporter'));
      expect((release(env, 'traefik').values as Doc).resources).toEqual(req('traefik'));
      const cm = release(env, 'cert-manager').values as Doc;
      expect([cm.replicaCount, cm.webhook.resources]).toEqual([
        pods.find((x) => x.name === 'cert-manager')!.replicas,
        req('cert-manager/webhook'),
      ]);
      expect((release(env, 'external-secrets').values as Doc).certController.resources).toEqual(req('external-secrets/cert-controller'));
      expect((release(env, 'metrics-server').values as Doc).resources).toEqual(req('metrics-server'));
    }
    // EKS counts its add-ons (VPC CNI, kube-proxy, CoreDNS, EBS CSI) and the autoscaler; kind neither
    const prodPods = declaredCapacity(loadEnvironments().find((e) => e.name === 'prod')!).platform.map((p) => p.name);
    expect(prodPods).toEqual(expect.arrayContaining(['cluster-autoscaler', 'eks/aws-node', 'eks/coredns']));
    const devPods = declaredCapacity(loadEnvironments().find((e) => e.name === 'dev')!).platform.map((p) => p.name);
    expect(devPods.filter((n) => n === 'cluster-autoscaler' || n.startsWith('eks/'))).toEqual([]);
  });

  test('a platform chart may not take the cluster configuration wave', () => {
    expect(() => platformReleasesFor(prod, [{ ...KUBE_PROMETHEUS_STACK, syncWave: APP_WAVES.clusterConfig }] as Doc)).toThrow(
      `syncWave: got ${APP_WAVES.clusterConfig}; expected an integer from -10 to -5 other than ${APP_WAVES.clusterConfig}`,
    );
  });

  test('cert-manager installs and keeps its CRDs; HA only on EKS', () => {
    expect((release(dev, 'cert-manager').values as Doc).crds).toEqual({ enabled: true, keep: true });
    expect((release(dev, 'cert-manager').values as Doc).replicaCount).toBe(1);
    expect((release(prod, 'cert-manager').values as Doc).replicaCount).toBe(2);
  });

  test('metrics-server: insecure kubelet TLS only on kind; lives in kube-system, which it does not create or label', () => {
    expect((release(dev, 'metrics-server').values as Doc).args).toEqual(['--kubelet-insecure-tls']);
    expect((release(prod, 'metrics-server').values as Doc).args).toEqual([]);
    const r = release(dev, 'metrics-server');
    expect([r.namespace, r.createNamespace, r.podSecurity]).toEqual(['kube-system', false, undefined]);
    expect(METRICS_SERVER.profiles).toEqual(['dev', 'prod']);
  });

  test('External Secrets in dev too: the dev secrets come from its Password generator', () => {
    expect(EXTERNAL_SECRETS.profiles).toEqual(['dev', 'prod']);
    expect(release(dev, 'external-secrets').values).toMatchObject({ installCRDs: true });
  });

  test.each([
    [
      'a version range',
      { version: '~41.1' },
      /PLATFORM_CHARTS\[0\] 'traefik'.version: got "~41.1"; expected an exact semantic version such as '41.1.0' or 'v1.21.1' \(no ranges, no 'latest'\)/,
    ],
    ['latest', { version: 'latest' }, /version: got "latest"; expected an exact semantic version/],
    [
      'an http repository',
      { repoUrl: 'http://traefik.github.io/charts' },
      /repoUrl: got "http:\/\/traefik.github.io\/charts"; expected an https Helm repository URL without credentials/,
    ],
    [
      'credentials in the repository URL',
      { repoUrl: 'https://user:pw@charts.example.com' },
      /repoUrl: got "https:\/\/user:pw@charts.example.com"; expected an https Helm repository URL without credentials/,
    ],
    ['a wave among the stacks', { syncWave: 0 }, /syncWave: got 0; expected an integer from -10 to -5/],
    [
      'an unknown profile',
      { profiles: ['staging'] },
      /profiles: got \["staging"\]; expected a non-empty list of distinct profiles from 'dev', 'prod'/,
    ],
  ])('rejects %s', (_, over, message) => {
    expect(() => validatePlatformCharts([{ ...TRAEFIK, ...over } as Doc])).toThrow(message);
  });

  test('rejects duplicate names', () => {
    expect(() => validatePlatformCharts([TRAEFIK, TRAEFIK] as Doc)).toThrow(
      /PLATFORM_CHARTS\[1\].name: got 'traefik'; expected a unique name \(also used by entry 0\)/,
    );
  });

  test('a resolved release that breaks a rule (weaker Pod Security without a reason) stops resolution', () => {
    expect(() => platformReleasesFor(dev, [{ ...TRAEFIK, podSecurityReason: undefined }] as Doc)).toThrow(
      /platform chart 'traefik'.podSecurityReason: got undefined; expected a written reason why the pods need 'baseline' instead of 'restricted'/,
    );
  });
});

describe('the Cluster Autoscaler IAM policy', () => {
  test('prod: reads everywhere, scales only the groups tagged for this cluster; written beside the stacks policies', () => {
    const policy = clusterAutoscalerPolicy(prod) as { Statement: Array<{ Sid: string; Action: string[]; Condition?: unknown }> };
    const scale = policy.Statement.find((s) => s.Sid === 'ScaleThisClustersGroups')!;
    expect(scale.Action).toEqual(['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup']);
    expect(scale.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${prod.cluster.name}`]: 'owned' } });
    expect(
      policy.Statement.filter((s) => !s.Condition)
        .flatMap((s) => s.Action)
        .every((a) => /:(Describe|Get)/.test(a)),
    ).toBe(true);
    const written = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'prod', 'iam', 'platform-cluster-autoscaler-policy.json'), 'utf8'),
    );
    expect(written).toEqual(policy);
  });
  test('dev (kind, no autoscaler): no policy', () => {
    expect(clusterAutoscalerPolicy(dev)).toBeUndefined();
  });
});
