import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/*
 * `npm run synth` (scripts/synth-to-dist.js) stages cdk8s synth's output next to dist/ and swaps it in
 * only when the app and the validations succeed. Every test runs against a temp outdir (SYNTH_DIST) or a
 * temp copy of the project: the real dist/ is never touched.
 */
const root = path.resolve(__dirname, '..');
const fixtures = path.join(root, 'test', 'fixtures', 'synth-to-dist');

/** sha256 over every path (directories too) and file content under `dir`, in sorted order. */
function treeHash(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        h.update(`d ${r}\n`);
        walk(p, r);
      } else {
        h.update(`f ${r} ${fs.statSync(p).size}\n`);
        h.update(fs.readFileSync(p));
      }
    }
  };
  walk(dir, '');
  return h.digest('hex');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** A fake committed dist/ in a temp folder: a manifest, a stale file of a removed stack and the untracked metadata. */
function fakeDist(): { parent: string; dist: string } {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-to-dist-'));
  const dist = path.join(parent, 'dist');
  fs.mkdirSync(path.join(dist, 'dev'), { recursive: true });
  fs.mkdirSync(path.join(dist, 'prod', 'removed-stack'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'dev', 'demo.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n');
  fs.writeFileSync(path.join(dist, 'prod', 'removed-stack', 'stale.k8s.yaml'), 'apiVersion: v1\nkind: Namespace\n');
  fs.writeFileSync(path.join(dist, 'construct-metadata.json'), '{}');
  return { parent, dist };
}

function run(dist: string, args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [path.join(cwd, 'scripts', 'synth-to-dist.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, SYNTH_DIST: dist, CDK8S_CHECK_UPGRADE: 'false' },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe('npm run synth (scripts/synth-to-dist.js)', () => {
  const temps: string[] = [];
  afterAll(() => temps.forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

  test('a successful synth replaces dist/ whole: the stale file of a removed stack is gone', () => {
    const { parent, dist } = fakeDist();
    temps.push(parent);
    const r = run(dist, ['--no-validate', '--app', `node ${path.join(fixtures, 'ok-app.js')}`]);
    expect([r.status, r.output]).toEqual([0, expect.stringContaining('replaced with the new output')]);
    expect(listFiles(dist)).toEqual(['dev/demo.k8s.yaml']);
    expect(fs.readFileSync(path.join(dist, 'dev', 'demo.k8s.yaml'), 'utf8')).toContain('name: demo');
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  }, 60000);

  test('an app that fails half-way leaves dist/ byte-identical and no staging folder behind', () => {
    const { parent, dist } = fakeDist();
    temps.push(parent);
    const before = treeHash(dist);
    const r = run(dist, ['--no-validate', '--app', `node ${path.join(fixtures, 'failing-app.js')}`]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('left unchanged');
    expect(treeHash(dist)).toBe(before);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  }, 60000);

  test('a failing validation (cdk8s.yaml plugin) leaves dist/ byte-identical', () => {
    const { parent, dist } = fakeDist();
    temps.push(parent);
    const before = treeHash(dist);
    const r = run(dist, ['--app', `node ${path.join(root, 'test', 'checks', 'fixtures', 'broken-app.js')}`]);
    expect(r.status).toBe(2);
    expect(r.output).toContain('Validation failed');
    expect(r.output).toContain('left unchanged');
    expect(treeHash(dist)).toBe(before);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  }, 120000);

  test('refuses --output/--stdout: the output folder is dist/', () => {
    const { parent, dist } = fakeDist();
    temps.push(parent);
    const before = treeHash(dist);
    expect(run(dist, ['--output', path.join(parent, 'x')]).status).toBe(1);
    expect(treeHash(dist)).toBe(before);
  });

  test('a bad config value (temp copy of the project, real app) leaves its dist/ byte-identical, extra files included', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-to-dist-project-'));
    temps.push(copy);
    for (const f of [
      'main.ts',
      'tsconfig.json',
      'cdk8s.yaml',
      'package.json',
      'config',
      'lib',
      'charts',
      'imports',
      'cli',
      'scripts',
      'build',
      'dist',
    ]) {
      if (fs.existsSync(path.join(root, f)))
        fs.cpSync(path.join(root, f), path.join(copy, f), { recursive: true, preserveTimestamps: true });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    fs.writeFileSync(path.join(copy, 'dist', 'not-written-by-the-app.txt'), 'keep me\n');
    const prod = path.join(copy, 'config', 'prod.ts');
    const source = fs.readFileSync(prod, 'utf8');
    expect(source).toContain("retention: '30d'");
    fs.writeFileSync(prod, source.replace("retention: '30d'", "retention: 'thirty days'"));
    const before = treeHash(path.join(copy, 'dist'));
    // caught by the config check synth-to-dist runs beside cdk8s synth (the app, inside cdk8s synth, fails on it too)
    const r = run(path.join(copy, 'dist'), [], copy);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('retention');
    expect(r.output).toContain('left unchanged');
    expect(treeHash(path.join(copy, 'dist'))).toBe(before);
    expect(fs.readdirSync(copy).filter((f) => f.startsWith('dist'))).toEqual(['dist']);
  }, 240000);
});
