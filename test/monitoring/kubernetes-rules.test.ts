import { AlertRule, KUBERNETES_METRICS, resourceUsageRules, volumeSpaceRules } from '../../lib/constructs/monitoring';
import { byName, vectorSelectors } from './helpers';

const NS = 'shop';

/**
 * Alert names of kube-prometheus-stack's default rules about containers, pods and volumes
 * (kubernetes-mixin: kubernetes-apps, kubernetes-resources, kubernetes-storage).
 */
const CHART_DEFAULT_ALERTS = [
  'KubePodCrashLooping',
  'KubePodNotReady',
  'KubeContainerWaiting',
  'CPUThrottlingHigh',
  'KubeCPUOvercommit',
  'KubeMemoryOvercommit',
  'KubeCPUQuotaOvercommit',
  'KubeMemoryQuotaOvercommit',
  'KubeQuotaAlmostFull',
  'KubeQuotaFullyUsed',
  'KubeQuotaExceeded',
  'KubePersistentVolumeFillingUp',
  'KubePersistentVolumeInodesFillingUp',
  'KubePersistentVolumeErrors',
];

const builders: Array<[string, () => AlertRule[]]> = [
  ['resourceUsageRules', () => resourceUsageRules({ namespace: NS, alertPrefix: 'Shop' })],
  ['volumeSpaceRules', () => volumeSpaceRules({ namespace: NS, alertPrefix: 'Shop' })],
];

describe.each(builders)('%s: common contract', (_name, build) => {
  const rules = build();

  test('every alert has a prefixed name, a for, a severity, summary + description naming the namespace', () => {
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^Shop[A-Z][A-Za-z]+$/);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
      expect(rule.annotations.description).toContain('{{ $labels.namespace }}');
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  test('no name is one of the chart defaults, with or without the prefix', () => {
    for (const rule of rules) {
      expect(CHART_DEFAULT_ALERTS).not.toContain(rule.alert);
      expect(CHART_DEFAULT_ALERTS).not.toContain(rule.alert.replace(/^Shop/, ''));
      expect(rule.alert.replace(/^Shop/, '')).not.toMatch(/^Kube/);
    }
  });

  test('every vector selector is scoped to the namespace and to the scrape job; no Kubernetes metric is used unscoped', () => {
    for (const rule of rules) {
      const selectors = vectorSelectors(rule.expr);
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) {
        expect({ alert: rule.alert, metric: s.metric, matchers: s.matchers }).toEqual({
          alert: rule.alert,
          metric: s.metric,
          matchers: expect.stringMatching(/^job="(kubelet|kube-state-metrics)",(metrics_path="[^"]+",)?namespace="shop"/),
        });
      }
      for (const metric of Object.values(KUBERNETES_METRICS)) {
        expect({ alert: rule.alert, metric, unscoped: new RegExp(`\\b${metric}\\b(?!\\{)`).test(rule.expr) }).toEqual({
          alert: rule.alert,
          metric,
          unscoped: false,
        });
      }
    }
  });

  test('is pure: two calls return equal, independent objects', () => {
    const again = build();
    expect(again).toEqual(rules);
    expect(again[0]).not.toBe(rules[0]);
  });
});

describe('resourceUsageRules', () => {
  const rules = byName(resourceUsageRules({ namespace: NS, alertPrefix: 'Shop' }));

  test('defaults (snapshot)', () => {
    expect(resourceUsageRules({ namespace: NS, alertPrefix: 'Shop' })).toMatchSnapshot();
  });

  test('CPU: rate summed per container, joined on (namespace, pod, container) with the CPU limit, real containers only', () => {
    expect(rules.ShopContainerCpuNearLimit.expr).toBe(
      'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{job="kubelet",metrics_path="/metrics/cadvisor",namespace="shop",container!="",container!="POD"}[5m]))' +
        ' / on (namespace, pod, container) (max by (namespace, pod, container) (kube_pod_container_resource_limits{job="kube-state-metrics",namespace="shop",resource="cpu"}) > 0) > 0.9',
    );
  });

  test('memory: working set per container over the memory limit', () => {
    expect(rules.ShopContainerMemoryNearLimit.expr).toBe(
      'max by (namespace, pod, container) (container_memory_working_set_bytes{job="kubelet",metrics_path="/metrics/cadvisor",namespace="shop",container!="",container!="POD"})' +
        ' / on (namespace, pod, container) (max by (namespace, pod, container) (kube_pod_container_resource_limits{job="kube-state-metrics",namespace="shop",resource="memory"}) > 0) > 0.9',
    );
  });

  test('restarts: increase over 1h per container', () => {
    expect(rules.ShopContainerRestartingOften.expr).toBe(
      'max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{job="kube-state-metrics",namespace="shop"}[1h])) > 3',
    );
  });

  test('all warnings, for 15m, descriptions name the container, the pod and the duration', () => {
    for (const rule of Object.values(rules)) {
      expect(rule).toMatchObject({ for: '15m', labels: { severity: 'warning' } });
      expect(rule.annotations.description).toContain('{{ $labels.container }} of pod {{ $labels.pod }}');
    }
    expect(rules.ShopContainerCpuNearLimit.annotations.description).toContain('more than 90% of its CPU limit for 15 minutes');
  });

  test('options: ratios, restarts, for, scrape jobs', () => {
    const custom = byName(
      resourceUsageRules({
        namespace: 'ecommerce',
        alertPrefix: 'Ecommerce',
        cpuRatio: 0.8,
        memoryRatio: 0.75,
        restartsPerHour: 5,
        for: '30m',
        kubeletJob: 'cadvisor',
        kubeStateMetricsJob: 'ksm',
      }),
    );
    expect(custom.EcommerceContainerCpuNearLimit.expr).toMatch(/> 0\.8$/);
    expect(custom.EcommerceContainerMemoryNearLimit.expr).toMatch(/> 0\.75$/);
    expect(custom.EcommerceContainerRestartingOften.expr).toMatch(/\[1h\]\)\) > 5$/);
    expect(custom.EcommerceContainerMemoryNearLimit.annotations.description).toContain('above 75% of its memory limit for 30 minutes');
    for (const rule of Object.values(custom)) {
      expect(rule.for).toBe('30m');
      expect(rule.expr).not.toContain('"shop"');
      expect(rule.expr).not.toMatch(/job="(kubelet|kube-state-metrics)"/);
    }
    expect(custom.EcommerceContainerCpuNearLimit.expr).toContain('{job="cadvisor",metrics_path="/metrics/cadvisor",namespace="ecommerce"');
    expect(custom.EcommerceContainerCpuNearLimit.expr).toContain('{job="ksm",namespace="ecommerce",resource="cpu"}');
  });

  const ok = { namespace: NS, alertPrefix: 'Shop' };
  test.each([
    [{ namespace: 'Shop' }, /^resourceUsageRules: namespace must be a Kubernetes namespace name .*got "Shop"$/],
    [{ alertPrefix: '' }, /^resourceUsageRules: alertPrefix must be a non-empty identifier .*Kube\* rules, got ""$/],
    [{ alertPrefix: '1Shop' }, /^resourceUsageRules: alertPrefix must be "" or an identifier .*got "1Shop"$/],
    [{ cpuRatio: 0 }, /^resourceUsageRules: cpuRatio must be a ratio > 0 and < 1 \(e\.g\. 0\.05 for 5%\), got 0$/],
    [{ cpuRatio: 1 }, /^resourceUsageRules: cpuRatio must be a ratio > 0 and < 1 .*got 1$/],
    [{ memoryRatio: 90 }, /^resourceUsageRules: memoryRatio must be a ratio > 0 and < 1 .*got 90$/],
    [{ memoryRatio: Number.NaN }, /^resourceUsageRules: memoryRatio must be .*got NaN$/],
    [{ restartsPerHour: 0 }, /^resourceUsageRules: restartsPerHour must be a finite number > 0 \(restarts\), got 0$/],
    [{ for: '15' }, /^resourceUsageRules: for must be a positive Prometheus duration .*got "15"$/],
    [{ for: '0m' }, /^resourceUsageRules: for must be .*got "0m"$/],
    [{ for: '1d' }, /^resourceUsageRules: for must be .*got "1d"$/],
    [{ kubeletJob: '' }, /^resourceUsageRules: kubeletJob must be a non-empty label value .*got ""$/],
    [{ kubeStateMetricsJob: 'a\nb' }, /^resourceUsageRules: kubeStateMetricsJob must be a non-empty label value .*got "a\\nb"$/],
  ])('rejects %p', (override, message) => {
    expect(() => resourceUsageRules({ ...ok, ...override })).toThrow(message);
  });
});

describe('volumeSpaceRules', () => {
  const rules = byName(volumeSpaceRules({ namespace: NS, alertPrefix: 'Shop' }));
  const free =
    'min by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{job="kubelet",metrics_path="/metrics",namespace="shop"}' +
    ' / (kubelet_volume_stats_capacity_bytes{job="kubelet",metrics_path="/metrics",namespace="shop"} > 0))';

  test('defaults (snapshot)', () => {
    expect(volumeSpaceRules({ namespace: NS, alertPrefix: 'Shop' })).toMatchSnapshot();
  });

  test('free share below 10 % (warning) and 5 % (critical), per claim, capacity 0 ignored', () => {
    expect(rules.ShopVolumeSpaceLow).toMatchObject({ expr: `${free} < 0.1`, for: '5m', labels: { severity: 'warning' } });
    expect(rules.ShopVolumeSpaceCritical).toMatchObject({ expr: `${free} < 0.05`, for: '5m', labels: { severity: 'critical' } });
    expect(rules.ShopVolumeSpaceLow.annotations.description).toBe(
      'PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} in namespace {{ $labels.namespace }} has had less than 10% free space for 5 minutes.',
    );
  });

  test('filling up: free bytes extrapolated from 6h reach 0 within 24h, for 1h', () => {
    expect(rules.ShopVolumeFillingUp).toMatchObject({
      expr: 'min by (namespace, persistentvolumeclaim) (predict_linear(kubelet_volume_stats_available_bytes{job="kubelet",metrics_path="/metrics",namespace="shop"}[6h], 86400)) < 0',
      for: '1h',
      labels: { severity: 'warning' },
    });
    expect(rules.ShopVolumeFillingUp.annotations.description).toContain('will be full within 24h');
  });

  test('options: ratios, for, horizon, kubelet job', () => {
    const custom = byName(
      volumeSpaceRules({
        namespace: NS,
        alertPrefix: 'Logs',
        freeRatio: 0.2,
        criticalFreeRatio: 0.1,
        for: '10m',
        fillHorizonHours: 48,
        fillFor: '2h',
        kubeletJob: 'kubelet-x',
      }),
    );
    expect(custom.LogsVolumeSpaceLow.expr).toMatch(/< 0\.2$/);
    expect(custom.LogsVolumeSpaceCritical.expr).toMatch(/< 0\.1$/);
    expect(custom.LogsVolumeSpaceCritical).toMatchObject({ for: '10m' });
    expect(custom.LogsVolumeFillingUp).toMatchObject({ for: '2h' });
    expect(custom.LogsVolumeFillingUp.expr).toContain('[6h], 172800)) < 0');
    expect(custom.LogsVolumeFillingUp.annotations.description).toContain('within 48h');
    expect(custom.LogsVolumeSpaceLow.expr).toContain('job="kubelet-x"');
  });

  const ok = { namespace: NS, alertPrefix: 'Shop' };
  test.each([
    [{ alertPrefix: '' }, /^volumeSpaceRules: alertPrefix must be a non-empty identifier .*got ""$/],
    [{ freeRatio: 1 }, /^volumeSpaceRules: freeRatio must be a ratio > 0 and < 1 .*got 1$/],
    [{ freeRatio: 0 }, /^volumeSpaceRules: freeRatio must be .*got 0$/],
    [{ criticalFreeRatio: 0.1 }, /^volumeSpaceRules: criticalFreeRatio must be below freeRatio \(0\.1\), got 0\.1$/],
    [{ freeRatio: 0.04 }, /^volumeSpaceRules: criticalFreeRatio must be below freeRatio \(0\.04\), got 0\.05$/],
    [{ criticalFreeRatio: -0.01 }, /^volumeSpaceRules: criticalFreeRatio must be a ratio > 0 and < 1 .*got -0\.01$/],
    [{ for: '5 m' }, /^volumeSpaceRules: for must be a positive Prometheus duration .*got "5 m"$/],
    [{ fillFor: '0h' }, /^volumeSpaceRules: fillFor must be a positive Prometheus duration .*got "0h"$/],
    [{ fillHorizonHours: 0 }, /^volumeSpaceRules: fillHorizonHours must be a finite number > 0 \(hours\), got 0$/],
    [{ kubeletJob: '' }, /^volumeSpaceRules: kubeletJob must be a non-empty label value .*got ""$/],
  ])('rejects %p', (override, message) => {
    expect(() => volumeSpaceRules({ ...ok, ...override })).toThrow(message);
  });
});
