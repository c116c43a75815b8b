/**
 * The pagodirecto Helm chart's values: each `--set` changes exactly its fields, the schema refuses
 * bad values. (dist freshness, `helm template` == plain manifests and `helm lint` are covered for
 * every stack by test/dist.test.ts.)
 */
import * as path from 'path';
import { helmTemplate, helmTemplateRaw, objectKey } from '../support/helm';
import { synthToTemp } from '../support/synth';
import { Doc } from '../support/doc';

const chart = path.join(synthToTemp(), 'helm', 'pagodirecto');
const render = (set: Record<string, string | number> = {}, setString: Record<string, string> = {}, env = 'prod') =>
  helmTemplate(chart, { releaseName: 'pagodirecto', valuesFiles: [`values-${env}.yaml`], set, setString });

/** `kind/name pointer: before -> after` for every changed leaf. */
function diff(before: readonly Doc[], after: readonly Doc[]): string[] {
  const out: string[] = [];
  const isNode = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  // A leaf as written in a values file; a subtree that replaces a leaf (or the reverse) as JSON, not [object Object].
  const show = (v: unknown): string => (isNode(v) ? JSON.stringify(v) : String(v));
  const walk = (a: unknown, b: unknown, p: string): void => {
    if (!isNode(a) || !isNode(b)) {
      if (a !== b) out.push(`${p}: ${show(a)} -> ${show(b)}`);
      return;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], `${p}/${k}`);
  };
  const byKey = new Map(before.map((o) => [objectKey(o), o]));
  for (const o of after) walk(byKey.get(objectKey(o)), o, `${o.kind}/${o.metadata.name}`);
  return out.sort();
}

const base = render();

test('--set-string backend.image.tag changes exactly the backend image', () => {
  expect(diff(base, render({}, { 'backend.image.tag': '1.1.0' }))).toEqual([
    'Deployment/backend/spec/template/spec/containers/0/image: ghcr.io/pagodirecto/backend:1.0.0 -> ghcr.io/pagodirecto/backend:1.1.0',
  ]);
});

test('--set frontend.autoscaling.minReplicas changes exactly the frontend HPA', () => {
  expect(diff(base, render({ 'frontend.autoscaling.minReplicas': 3 }))).toEqual([
    'HorizontalPodAutoscaler/frontend/spec/minReplicas: 2 -> 3',
  ]);
});

test('--set ingress.host moves every Ingress of the edge to the new host', () => {
  const changes = diff(base, render({ 'ingress.host': 'crm.pagodirecto.test' }));
  expect(changes).toHaveLength(6);
  for (const name of ['edge', 'edge-api', 'edge-auth']) {
    expect(changes).toContain(`Ingress/${name}/spec/rules/0/host: crm.pagodirecto.example -> crm.pagodirecto.test`);
    expect(changes).toContain(`Ingress/${name}/spec/tls/0/hosts/0: crm.pagodirecto.example -> crm.pagodirecto.test`);
  }
});

test('Adminer and LocalStack render only with values-dev.yaml', () => {
  const dev = render({}, {}, 'dev');
  expect(
    dev
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.metadata.name)
      .sort(),
  ).toEqual(['adminer', 'backend', 'frontend']);
  expect(dev.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name)).toContain('localstack');
  expect(base.filter((o) => o.metadata.name === 'localstack')).toEqual([]);
  expect(
    base
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.metadata.name)
      .sort(),
  ).toEqual(['backend', 'frontend']);
});

test.each([
  ['backend.autoscaling.minReplicas=-1', { 'backend.autoscaling.minReplicas': -1 }],
  ['postgres.resources.memoryLimit=lots', { 'postgres.resources.memoryLimit': 'lots' }],
  ['frontend.image.tag=a b', { 'frontend.image.tag': 'a b' }],
  ['backups.postgres.schedule=daily', { 'backups.postgres.schedule': 'daily' }],
  ['backend.jvm=1 (unknown key)', { 'backend.jvm': 1 }],
])('the schema rejects %s', (_, set) => {
  const r = helmTemplateRaw(chart, { releaseName: 'pagodirecto', valuesFiles: ['values-prod.yaml'], set });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
});
