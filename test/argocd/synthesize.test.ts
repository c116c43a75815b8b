import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironments } from '../../config';
import { platformReleasesFor } from '../../config/platform-charts';
import { STACKS } from '../../charts';
import { PlatformChart } from '../../charts/platform';
import { hpaManagedWorkloads, namespacesOf, renderObjects, synthesizeArgoCd } from '../../lib/output/argocd';
import { loadManifests, runChecks } from '../../lib/checks';
import { BestPracticesCheck } from '../../lib/checks/best-practices-check';
import { SchemaCheck } from '../../lib/checks/schema-check';
import { GITOPS } from './fixtures';
import { Doc } from '../support/doc';

const envs = loadEnvironments();
const options = {
  platformReleases: platformReleasesFor,
  clusterConfig: { name: 'platform', create: (scope: Doc, id: string, env: Doc) => new PlatformChart(scope, id, { env }) },
};

describe('synthesizeArgoCd over the real project', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes one file per object for every environment and replaces stale output', () => {
    fs.mkdirSync(path.join(dir, 'argocd', 'old-env'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'argocd', 'old-env', 'Application.stale.k8s.yaml'), 'stale');
    const files = synthesizeArgoCd(dir, envs, STACKS, GITOPS, options);
    const expected = envs
      .flatMap((e) => [
        `argocd/${e.name}/AppProject.${e.name}.k8s.yaml`,
        `argocd/${e.name}/Application.${e.name}-root.k8s.yaml`,
        ...platformReleasesFor(e).map((r) => `argocd/${e.name}/Application.${e.name}-${r.name}.k8s.yaml`),
        `argocd/${e.name}/Application.${e.name}-platform.k8s.yaml`,
        ...STACKS.map((s) => `argocd/${e.name}/Application.${e.name}-${s.name}.k8s.yaml`),
      ])
      .sort();
    expect(files).toEqual(expected);
    expect(fs.existsSync(path.join(dir, 'argocd', 'old-env'))).toBe(false);
  });

  test('every generated object passes the schema check (Application/AppProject CRD schemas, unknown fields) and every other check family', () => {
    const objects = loadManifests(dir);
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.every((m) => m.file.startsWith('argocd/'))).toBe(true);
    const input = { objects, environments: {} };
    expect(new SchemaCheck().run(input).map((v) => `${v.object?.file} ${v.field}: ${v.message}`)).toEqual([]);
    expect(new BestPracticesCheck().run(input).map((v) => `${v.object?.file} ${v.field}: ${v.message}`)).toEqual([]);
    // All eight families, as `npm run check` and the synth plugin will run them once dist/argocd is synthesized.
    const all = runChecks(input);
    expect(all.families).toHaveLength(8);
    expect(all.violations.map((v) => `${v.rule} ${v.object?.file}: ${v.message}`)).toEqual([]);
  });

  test('each stack Application ignores replicas exactly for the workloads its HPAs scale in that environment', () => {
    const objects = loadManifests(dir);
    let ignored = 0;
    for (const env of envs) {
      for (const stack of STACKS) {
        const app = objects.find((m) => m.object.kind === 'Application' && m.object.metadata?.name === `${env.name}-${stack.name}`)!
          .object as { spec: { ignoreDifferences?: unknown[] } };
        const expected = hpaManagedWorkloads(renderObjects(stack, env)).map((w) => ({ ...w, jsonPointers: ['/spec/replicas'] }));
        expect(app.spec.ignoreDifferences ?? []).toEqual(expected);
        ignored += expected.length;
      }
    }
    // prod autoscales its APIs: the rule is exercised on real objects, not only on an empty list.
    expect(ignored).toBeGreaterThan(0);
  });

  test("the project of each environment covers its stacks' namespaces and nothing of the other environment's repositories", () => {
    const objects = loadManifests(dir);
    for (const env of envs) {
      const project = objects.find((m) => m.object.kind === 'AppProject' && m.object.metadata?.name === env.name)!.object as {
        spec: { destinations: Array<{ namespace: string }>; sourceRepos: string[] };
      };
      const destinations = project.spec.destinations.map((d) => d.namespace);
      for (const stack of STACKS) for (const ns of namespacesOf(renderObjects(stack, env))) expect(destinations).toContain(ns);
      expect(destinations).toContain('argocd');
      expect(project.spec.sourceRepos).toEqual([GITOPS.repoUrl, ...platformReleasesFor(env).map((r) => r.repoUrl)]);
    }
  });

  test('per-environment GitOps settings; a bad value stops synth before anything is written', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-bad-'));
    try {
      synthesizeArgoCd(out, envs, STACKS, (env) => ({ ...GITOPS, targetRevision: env.name === 'prod' ? 'v1.0.0' : 'main' }), options);
      const prodRoot = fs.readFileSync(path.join(out, 'argocd', 'prod', 'Application.prod-root.k8s.yaml'), 'utf8');
      expect(prodRoot).toContain('targetRevision: v1.0.0');
      const before = fs.readdirSync(path.join(out, 'argocd', 'dev')).sort();
      expect(() =>
        synthesizeArgoCd(
          out,
          envs,
          STACKS,
          (env) => ({ ...GITOPS, repoUrl: env.name === 'prod' ? 'http://git.example.com/x.git' : GITOPS.repoUrl }),
          options,
        ),
      ).toThrow(
        /AppOfApps 'prod': gitops.repoUrl: got "http:\/\/git.example.com\/x.git"; expected an https or ssh Git URL without credentials/,
      );
      expect(fs.readdirSync(path.join(out, 'argocd', 'dev')).sort()).toEqual(before);
      expect(() => synthesizeArgoCd(out, envs, STACKS, { ...GITOPS, targetRevision: 'not a ref' }, options)).toThrow(
        /gitops.targetRevision: got "not a ref"; expected a branch, tag or commit SHA/,
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('objects the caller already rendered are used instead of building each chart again, with the same output', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-rendered-'));
    try {
      const asked: string[] = [];
      const rendered = (source: string, env: Doc) => {
        asked.push(`${env.name}/${source}`);
        // the stacks as given; the cluster configuration left to synthesizeArgoCd (undefined)
        const stack = STACKS.find((s) => s.name === source);
        return stack ? renderObjects(stack, env) : undefined;
      };
      const files = synthesizeArgoCd(out, envs, STACKS, GITOPS, { ...options, rendered });
      expect(asked.sort()).toEqual(envs.flatMap((e) => ['platform', ...STACKS.map((s) => s.name)].map((n) => `${e.name}/${n}`)).sort());
      for (const f of files) expect(fs.readFileSync(path.join(out, f), 'utf8')).toBe(fs.readFileSync(path.join(dir, f), 'utf8'));
      // what it is given is what it uses: a stack without namespaces is refused
      expect(() => synthesizeArgoCd(out, envs, STACKS, GITOPS, { ...options, rendered: () => [] })).toThrow(/has no objects/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('rejects no environments and repeated environment names', () => {
    expect(() => synthesizeArgoCd(dir, [], STACKS, GITOPS, options)).toThrow(
      'synthesizeArgoCd: envs is empty; expected at least one environment',
    );
    expect(() => synthesizeArgoCd(dir, [envs[0], envs[0]], STACKS, GITOPS, options)).toThrow(
      /environment names \["dev","dev"\] repeat; expected unique names/,
    );
  });
});
