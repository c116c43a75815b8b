/*
 * A new stack is a folder and one registry line. test/fixtures/stacks/shop/ is a throwaway stack
 * (a web app behind the TLS ingress, a 3-member store on StatefulStore, its daily backup through
 * an engine defined outside lib/, LocalStack in dev, monitoring) written against the library
 * only; this test registers it with one line next to the real stacks and runs the whole project:
 * manifests, Helm chart and Argo CD application appear for it, and every check passes on all of
 * it, including the Helm chart rendered with each environment's values.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { STACK_MODULES } from '../charts';
import { ENVIRONMENTS } from '../config';
import { StackModule } from '../lib/config/stack-module';
import { loadConstructMetadata, loadManifests, ManifestObject, objectKey, runChecks } from '../lib/checks';
import { formatViolation } from '../lib/checks/report';
import { synthesizeAll } from '../main';
import { Doc } from './support/doc';
import { helmBinary } from './support/helm';
import { stack as shop } from './fixtures/stacks/shop';

// The one line a new stack adds (in charts/stacks.ts: `export { stack as shop } from './shop';`).
const REGISTRY: readonly StackModule[] = [...STACK_MODULES, shop];

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-folder-'));
synthesizeAll(outdir, { recordMetadata: true, stacks: REGISTRY });
const metadata = loadConstructMetadata(outdir)!;
const objects: ManifestObject[] = loadManifests(outdir).map((m) => ({
  ...m,
  constructPath: metadata.resources[objectKey(m.env, m.object)]?.path,
}));
const envs = Object.keys(ENVIRONMENTS);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const shopObjects = (env: string): Doc[] => objects.filter((o) => o.file === `${env}/shop.k8s.yaml`).map((o) => o.object as Doc);

describe('a stack made from its folder alone, registered with one line', () => {
  test.each(envs)('%s: its manifests are written next to the other stacks', (env) => {
    const kinds = shopObjects(env).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace/shop',
        'Deployment/web',
        'StatefulSet/store',
        'CronJob/store-backup',
        'Ingress/web',
        'NetworkPolicy/default-deny',
        'PrometheusRule/shop',
      ]),
    );
    const store = shopObjects(env).find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'store')!;
    expect(store.spec.replicas).toBe(3);
    expect(kinds.includes('StatefulSet/localstack')).toBe(env === 'dev');
  });

  test('its Helm chart and Argo CD application exist in every environment', () => {
    expect(fs.existsSync(path.join(outdir, 'helm', 'shop', 'Chart.yaml'))).toBe(true);
    for (const env of envs) {
      expect(fs.existsSync(path.join(outdir, 'helm', 'shop', `values-${env}.yaml`))).toBe(true);
      const apps = objects.filter((o) => o.env === 'argocd' && o.file.startsWith(`argocd/${env}/`) && o.object.kind === 'Application');
      expect(apps.map((a) => a.object.metadata?.name)).toEqual(expect.arrayContaining([expect.stringMatching(/shop/)]));
    }
  });

  test('every check passes on everything synthesized (schema, pod security, best practices, secrets, reachability)', () => {
    const result = runChecks({ objects, environments: metadata.environments });
    expect(result.violations.map(formatViolation)).toEqual([]);
    expect(metadata.environments.dev.graphs).toHaveProperty('shop');
    expect(metadata.environments.prod.graphs).toHaveProperty('shop');
  });

  test('every check passes on its Helm chart rendered with each environment values', () => {
    const chart = path.join(outdir, 'helm', 'shop');
    for (const env of envs) {
      const rendered = execFileSync(helmBinary(), ['template', 'shop', chart, '-f', path.join(chart, `values-${env}.yaml`)], {
        encoding: 'utf8',
      });
      const docs = parseAllDocuments(rendered)
        .map((d): unknown => d.toJS())
        .filter((d): d is Doc => d !== null && d !== undefined);
      expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(['StatefulSet', 'Deployment', 'CronJob']));
      const platform = objects.filter((o) => o.file === `${env}/platform.k8s.yaml`);
      const helmObjects = [...platform, ...docs.map((object, index) => ({ env, file: 'helm/shop', index, object }))];
      const result = runChecks({
        objects: helmObjects,
        environments: { [env]: { ...metadata.environments[env], graphs: { shop: metadata.environments[env].graphs.shop } } },
      });
      expect(result.violations.map(formatViolation)).toEqual([]);
    }
  });

  test('a check fires on the throwaway stack when its folder breaks a rule (the checks see it)', () => {
    const broken = objects.map((o) =>
      o.file === 'dev/shop.k8s.yaml' && o.object.kind === 'StatefulSet'
        ? { ...o, object: JSON.parse(JSON.stringify(o.object).replace('"runAsNonRoot":true', '"runAsNonRoot":false')) }
        : o,
    );
    const result = runChecks({ objects: broken, environments: metadata.environments });
    const report = result.violations.map(formatViolation).join('\n');
    expect(report).toContain('pss/run-as-non-root  dev: StatefulSet shop/store');
    expect(report).toContain('construct: shop/store/statefulset');
  });
});
