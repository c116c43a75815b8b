/*
 * The checks over everything the project synthesizes: every stack, every environment, the plain
 * manifests and the Helm charts rendered with each environment's values. No per-stack code: a new
 * stack in charts/index.ts is covered automatically.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { CheckInput, loadConstructMetadata, loadManifests, ManifestObject, objectKey, runChecks } from '../../lib/checks';
import { inferOutdir, ManifestChecks } from '../../lib/checks/plugin';
import { formatReport, formatViolation } from '../../lib/checks/report';
import { replicateInput } from '../../lib/checks/replicate';
import { STACKS } from '../../charts';
import { ENVIRONMENTS } from '../../config';
import { synthesizeAll } from '../../main';
import { helmBinary } from '../support/helm';
import { Doc } from '../support/doc';
import { ALL_CHECK_FAMILIES } from '../support/check-families';

const root = path.resolve(__dirname, '..', '..');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-'));
synthesizeAll(outdir, { recordMetadata: true });
const metadata = loadConstructMetadata(outdir)!;
const objects: ManifestObject[] = loadManifests(outdir).map((m) => ({
  ...m,
  constructPath: metadata.resources[objectKey(m.env, m.object)]?.path,
}));
const input: CheckInput = { objects, environments: metadata.environments };

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('every synthesized object passes every check', () => {
  test('all environments and stacks are present', () => {
    // environment folders, plus dist/argocd/<env>/ (the Argo CD App of Apps), checked as one more group
    expect([...new Set(objects.map((o) => o.env))].sort()).toEqual(['argocd', ...Object.keys(ENVIRONMENTS)].sort());
    for (const env of Object.keys(ENVIRONMENTS)) {
      for (const stack of STACKS) expect(objects.some((o) => o.file === `${env}/${stack.name}.k8s.yaml`)).toBe(true);
      expect(objects.filter((o) => o.file.startsWith(`argocd/${env}/`)).map((o) => o.object.kind)).toEqual(
        expect.arrayContaining(['AppProject', 'Application']),
      );
    }
  });

  test('no violations (schema, pod security, best practices, secrets, reachability, connection budgets, drains, capacity)', () => {
    const result = runChecks(input);
    expect(result.violations.map(formatViolation)).toEqual([]);
    expect(result.families).toEqual(ALL_CHECK_FAMILIES);
  });

  test('every object is traced to the construct that made it', () => {
    expect(objects.filter((o) => !o.constructPath).map((o) => `${o.env}/${o.object.kind}/${o.object.metadata?.name}`)).toEqual([]);
  });

  test('every stack namespace declares a service graph in every environment', () => {
    for (const [env, facts] of Object.entries(metadata.environments)) {
      const namespaces = new Set(objects.filter((o) => o.env === env && o.object.kind === 'Namespace').map((o) => o.object.metadata?.name));
      expect(Object.keys(facts.graphs).sort()).toEqual([...namespaces].sort());
    }
  });

  test('the Helm charts rendered with each environment values pass too', () => {
    const helm = helmBinary();
    for (const stack of STACKS) {
      for (const env of Object.keys(ENVIRONMENTS)) {
        const chart = path.join(outdir, 'helm', stack.name);
        const rendered = execFileSync(helm, ['template', stack.name, chart, '-f', path.join(chart, `values-${env}.yaml`)], {
          encoding: 'utf8',
        });
        const docs = parseAllDocuments(rendered)
          .map((d) => d.toJS())
          .filter(Boolean);
        expect(docs.length).toBeGreaterThan(0);
        const platform = objects.filter((o) => o.env === env && o.file === `${env}/platform.k8s.yaml`);
        const helmObjects = [...platform, ...docs.map((object, index) => ({ env, file: `helm/${stack.name}`, index, object }))];
        const result = runChecks({
          objects: helmObjects,
          environments: { [env]: { ...metadata.environments[env], graphs: pick(metadata.environments[env].graphs, docs) } },
        });
        expect(result.violations.map(formatViolation)).toEqual([]);
      }
    }
  });

  test('a Helm value that breaks a connection budget is caught on the rendered chart', () => {
    const chart = path.join(outdir, 'helm', 'wondernest');
    const render = (set: string[]) =>
      parseAllDocuments(
        execFileSync(
          helmBinary(),
          ['template', 'wondernest', chart, '-f', path.join(chart, 'values-prod.yaml'), ...set.flatMap((x) => ['--set', x])],
          {
            encoding: 'utf8',
          },
        ),
      )
        .map((d) => d.toJS())
        .filter(Boolean)
        .map((object, index) => ({ env: 'prod', file: 'helm/wondernest', index, object }));
    const budget = (objects: ManifestObject[]) =>
      runChecks({ objects, environments: { prod: metadata.environments.prod } }, ['connections']).violations.map((v) => v.message);
    expect(budget(render([]))).toEqual([]);
    // 20 + 1 surge pods x 15 = 315 > wondernest_app's 170
    expect(budget(render(['api.autoscaling.maxReplicas=20']))).toEqual([
      expect.stringContaining(
        'role wondernest_app may be asked for 315 connections (Deployment api: 21 pods (HPA maxReplicas 20 + maxSurge 1) x 15',
      ),
    ]);
  });

  test('the report shows kinds, rules and one matrix per stack and environment', () => {
    const report = formatReport(input, runChecks(input));
    const rules = runChecks(input).rules.length;
    expect(report).toContain(`Rules: ${rules}/${rules} passed`);
    expect(report).toMatch(/by kind: .*Deployment \d+/);
    for (const env of Object.keys(ENVIRONMENTS)) {
      for (const ns of Object.keys(metadata.environments[env].graphs)) expect(report).toContain(`  ${env}/${ns}\n    from\\to`);
    }
    expect(report).toContain('Violations: none');
    expect(report).toMatch(/\nCapacity \(.*\n +dev min +dev peak +prod min +prod peak\n/);
    // one row per graph component in each matrix (grows with the stacks: e-commerce with its search half, error tracker and log shipper), and ~10 lines of capacity table
    expect(report.split('\n').length).toBeLessThan(140);
  });

  /* The bench's synthetic app (npm run bench): copies in their own namespaces, for which the checks must find what they find in the original. */
  test('the output copied 3 times into renamed namespaces: each fault is found once per copy', () => {
    const faulty: CheckInput = {
      ...input,
      objects: input.objects.map((m, i) => {
        if (i % 37 !== 0) return m;
        const o = structuredClone(m.object) as Doc;
        if (o.metadata?.labels) delete o.metadata.labels['app.kubernetes.io/part-of'];
        if (o.spec && typeof o.spec === 'object') o.spec.selectr = {};
        if (o.kind === 'NetworkPolicy') o.spec.podSelector = { matchLabels: { nobody: 'x' } };
        const c = o.spec?.template?.spec?.containers?.[0];
        if (c) c.image = 'nginx:latest';
        return { ...m, object: o };
      }),
    };
    const perRule = (vs: ReadonlyArray<{ rule: string }>, times = 1) =>
      Object.fromEntries([...new Set(vs.map((v) => v.rule))].sort().map((r) => [r, vs.filter((v) => v.rule === r).length * times]));
    const once = runChecks(faulty).violations;
    expect(once.length).toBeGreaterThan(10);
    const copied = replicateInput(faulty, 3);
    expect(copied.objects.length).toBe(3 * objects.length);
    expect(perRule(runChecks(copied).violations)).toEqual(perRule(once, 3));
    expect(runChecks(replicateInput(input, 3)).violations).toEqual([]);
  });
});

/** Graphs of the namespaces present in a set of rendered objects. */
function pick<G>(graphs: Record<string, G>, docs: readonly Doc[]): Record<string, G> {
  const namespaces = new Set(docs.map((d) => d.metadata?.namespace).filter(Boolean));
  return Object.fromEntries(Object.entries(graphs).filter(([ns]) => namespaces.has(ns)));
}

describe('the cdk8s validation plugin', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ValidationContext } = require(path.join(root, 'node_modules', 'cdk8s-cli', 'lib', 'plugins', 'validation.js'));
  const manifestsOf = (dir: string) => loadManifestsPaths(dir);

  test('passes on the project output', async () => {
    const ctx = new ValidationContext(manifestsOf(outdir), 'manifest-checks', '1.0.0', metadata.resources, false);
    ctx.logger.log = () => undefined;
    await new ManifestChecks().validate(ctx);
    expect(ctx.report.success).toBe(true);
  });

  test('fails on a bad object and names its construct path, field and rule', async () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-broken-'));
    fs.cpSync(outdir, broken, { recursive: true });
    const file = path.join(broken, 'dev', 'wondernest.k8s.yaml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(file, 'utf8')
        .replace(/(kind: Deployment\nmetadata:\n(?: {2}.*\n)*? {2}name: api\n(?: {2}.*\n)*?spec:\n)/, '$1  selectr: {}\n'),
    );
    const ctx = new ValidationContext(manifestsOf(broken), 'manifest-checks', '1.0.0', metadata.resources, false);
    ctx.logger.log = () => undefined;
    await new ManifestChecks().validate(ctx);
    expect(ctx.report.success).toBe(false);
    const json = ctx.report.toJson();
    expect(json.violations).toEqual([
      expect.objectContaining({
        ruleName: 'schema/unknown-field',
        violatingConstructs: [expect.objectContaining({ constructPath: 'wondernest/api/deployment', locations: ['spec.selectr'] })],
      }),
    ]);
    fs.rmSync(broken, { recursive: true, force: true });
  });

  test('finds the output folder above environment and argocd folders', () => {
    expect(inferOutdir([path.join(outdir, 'argocd', 'dev', 'a.yaml'), path.join(outdir, 'dev', 'b.yaml')])).toBe(outdir);
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-infer-'));
    expect(
      inferOutdir([
        path.join(bare, 'argocd', 'dev', 'a.yaml'),
        path.join(bare, 'dev', 'b.yaml'),
        path.join(bare, 'helm', 'x', 'templates', 'c.yaml'),
      ]),
    ).toBe(bare);
    fs.rmSync(bare, { recursive: true, force: true });
  });

  test('fails clearly when the construct metadata is missing', async () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-bare-'));
    fs.cpSync(path.join(outdir, 'dev'), path.join(bare, 'dev'), { recursive: true });
    const ctx = new ValidationContext(manifestsOf(bare), 'manifest-checks', '1.0.0', {}, false);
    await new ManifestChecks().validate(ctx);
    expect(ctx.report.success).toBe(false);
    expect(ctx.report.toJson().violations[0].recommendation).toContain('construct-metadata.json is missing');
    fs.rmSync(bare, { recursive: true, force: true });
  });

  test('is wired into cdk8s.yaml: `cdk8s synth` stops on a broken app and prints the construct path', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-cli-'));
    const r = spawnSync(
      path.join(root, 'node_modules', '.bin', 'cdk8s'),
      ['synth', '--no-check-upgrade', '--app', 'node test/checks/fixtures/broken-app.js', '--output', out],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status).toBe(2);
    expect(output).toContain('Validation failed');
    expect(output).toContain('pss/host-namespaces');
    expect(output).toContain('bp/image-pinned');
    expect(output).toContain('wondernest/api/deployment');
    fs.rmSync(out, { recursive: true, force: true });
  }, 120000);
});

function loadManifestsPaths(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml')) out.push(p);
    }
  };
  walk(dir);
  return out;
}
