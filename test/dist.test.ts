import * as fs from 'fs';
import * as path from 'path';
import { STACKS } from '../charts';
import { helmLint, helmTemplate, helmTemplateRaw, objectKey, parseManifests, sortObjects } from './support/helm';
import { listFiles, synthToTemp } from './support/synth';
import { Doc } from './support/doc';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const fresh = synthToTemp();

describe('committed dist/', () => {
  test('is exactly what main.ts synthesizes (run `npm run synth` and commit when this fails)', () => {
    // construct-metadata.json and manifest-objects.json are written by `cdk8s synth` for the checks and are not committed (.gitignore)
    const committed = listFiles(dist).filter((f) => f !== 'construct-metadata.json' && f !== 'manifest-objects.json');
    expect(committed).toEqual(listFiles(fresh));
    for (const f of committed) {
      expect([f, fs.readFileSync(path.join(dist, f), 'utf8')]).toEqual([f, fs.readFileSync(path.join(fresh, f), 'utf8')]);
    }
  });
});

describe.each(STACKS.map((s) => s.name))('Helm chart %s', (stack) => {
  const chart = path.join(fresh, 'helm', stack);

  test.each(['dev', 'prod'])('helm template -f values-%s.yaml equals the plain manifests', (env) => {
    const rendered = sortObjects(helmTemplate(chart, { releaseName: stack, valuesFiles: [`values-${env}.yaml`] }));
    const plain = sortObjects(parseManifests(fs.readFileSync(path.join(fresh, env, `${stack}.k8s.yaml`), 'utf8')));
    expect(rendered.map(objectKey)).toEqual(plain.map(objectKey));
    expect(rendered).toEqual(plain);
  });

  test('one set of templates: none selects on the environment name', () => {
    const templates = fs.readdirSync(path.join(chart, 'templates')).filter((f) => f.endsWith('.yaml'));
    const selecting = templates.filter((f) => fs.readFileSync(path.join(chart, 'templates', f), 'utf8').includes('.Values.environment'));
    expect(templates.length).toBeGreaterThan(20);
    expect(selecting).toEqual([]);
  });

  test.each(['dev', 'prod'])('helm lint --strict passes with values-%s.yaml', (env) => {
    const r = helmLint(chart, { valuesFiles: [`values-${env}.yaml`], strict: true });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });
});

describe('wondernest Helm values', () => {
  const chart = path.join(fresh, 'helm', 'wondernest');
  const base = helmTemplate(chart, { releaseName: 'wondernest', valuesFiles: ['values-prod.yaml'] });

  test('--set api.image.tag=X changes exactly that field', () => {
    const changed = helmTemplate(chart, {
      releaseName: 'wondernest',
      valuesFiles: ['values-prod.yaml'],
      setString: { 'api.image.tag': '2.0.1' },
    });
    const diffs: string[] = [];
    const walk = (a: Doc, b: Doc, p: string): void => {
      if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
        if (a !== b) diffs.push(`${p}: ${a} -> ${b}`);
        return;
      }
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], `${p}/${k}`);
    };
    const before = new Map(base.map((o) => [objectKey(o), o]));
    for (const o of changed) walk(before.get(objectKey(o)), o, objectKey(o));
    expect(diffs).toEqual([
      expect.stringMatching(
        /Deployment.*\/api\/spec\/template\/spec\/containers\/0\/image: ghcr.io\/wondernest\/api:0.1.0 -> ghcr.io\/wondernest\/api:2.0.1$/,
      ),
    ]);
  });

  test.each([
    ['api.autoscaling.minReplicas=-1', { 'api.autoscaling.minReplicas': -1 }],
    ['postgres.resources.memoryLimit=lots', { 'postgres.resources.memoryLimit': 'lots' }],
    ['ingress.host=not a host', { 'ingress.host': 'not a host' }],
    ['environment=Staging_1 (not a DNS label)', { environment: 'Staging_1' }],
    ['api.bogus=1', { 'api.bogus': 1 }],
    ['backups.postgres.retentionDays=0', { 'backups.postgres.retentionDays': 0 }],
  ])('schema rejects %s', (_, set) => {
    const r = helmTemplateRaw(chart, { releaseName: 'wondernest', valuesFiles: ['values-prod.yaml'], set });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
  });

  test('schema refuses the image tag synth refuses (latest)', () => {
    const r = helmTemplateRaw(chart, {
      releaseName: 'wondernest',
      valuesFiles: ['values-prod.yaml'],
      setString: { 'api.image.tag': 'latest' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/api\.image\.tag/);
  });

  test('an integer value is typed as one: --set backups.postgres.retentionDays=14 (no --set-string) reaches the env var', () => {
    const rendered = helmTemplate(chart, {
      releaseName: 'wondernest',
      valuesFiles: ['values-prod.yaml'],
      set: { 'backups.postgres.retentionDays': 14 },
    });
    const cronJob = rendered.find((o) => o.kind === 'CronJob' && o.metadata.name === 'postgres-backup')!;
    const env = cronJob.spec.jobTemplate.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env.find((e) => e.name === 'RETENTION_DAYS')?.value).toBe('14');
  });

  test('a further environment from values alone: dev without pgAdmin', () => {
    const dev = helmTemplate(chart, { releaseName: 'wondernest', valuesFiles: ['values-dev.yaml'] });
    const noPgadmin = helmTemplate(chart, {
      releaseName: 'wondernest',
      valuesFiles: ['values-dev.yaml'],
      set: { 'pgadmin.enabled': false },
    });
    const gone = dev.map(objectKey).filter((k) => !noPgadmin.map(objectKey).includes(k));
    expect(gone.sort()).toEqual([
      'apps/v1 StatefulSet wondernest/pgadmin',
      // its NetworkPolicy follows the same switch (ServiceGraph gates each component's policy on <component>.enabled)
      'networking.k8s.io/v1 NetworkPolicy wondernest/pgadmin',
      'v1 ConfigMap wondernest/pgadmin-config',
      'v1 Service wondernest/pgadmin',
    ]);
  });

  test('values cover images, replicas/HPA, resources, ingress, storage and backups', () => {
    const values = fs.readFileSync(path.join(chart, 'values-prod.yaml'), 'utf8');
    for (const key of [
      'api:',
      'autoscaling:',
      'minReplicas:',
      'maxReplicas:',
      'repository:',
      'tag:',
      'memoryLimit:',
      'cpuRequest:',
      'host:',
      'className:',
      'clusterIssuer:',
      'storage:',
      'size:',
      'schedule:',
      'retentionDays:',
    ]) {
      expect(values).toContain(key);
    }
    expect(fs.readFileSync(path.join(chart, 'values-dev.yaml'), 'utf8')).toMatch(/replicas: 1/);
  });
});
