import { spawnSync } from 'child_process';
import * as path from 'path';

/* `npm run check` (scripts/check.js): its usage and its JSON report. */
const root = path.resolve(__dirname, '..');
const check = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'scripts', 'check.js'), ...args], { cwd: root, encoding: 'utf8' });

describe('npm run check', () => {
  test('--help prints the usage and exits 0', () => {
    const r = check('--help');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('Usage: npm run check -- [--dir <outdir>] [--json]');
    expect(r.stdout).toContain('--json');
  });

  test('an unknown argument is a usage error that mentions --help', () => {
    const r = check('--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--help');
  });

  test('--json prints the summary (objects, kinds, rules, families, matrices) and the violations', () => {
    const r = check('--json');
    expect([r.status, r.stderr]).toEqual([0, '']);
    const report = JSON.parse(r.stdout) as {
      objects: number;
      kinds: Record<string, number>;
      rules: { id: string; family: string; passed: boolean }[];
      families: { family: string; rules: number; passed: number }[];
      matrices: { env: string; namespace: string; sources: string[]; destinations: string[] }[];
      violations: unknown[];
    };
    expect(Object.keys(report)).toEqual(['objects', 'kinds', 'rules', 'families', 'matrices', 'violations']);
    expect(report.objects).toBe(Object.values(report.kinds).reduce((a, b) => a + b, 0));
    expect(report.kinds.Deployment).toBeGreaterThan(0);
    expect(report.families.map((f) => f.family)).toEqual([
      'schema',
      'pod-security',
      'best-practices',
      'secrets',
      'reachability',
      'connections',
    ]);
    expect(report.families.every((f) => f.passed === f.rules)).toBe(true);
    expect(report.rules.length).toBe(report.families.reduce((a, f) => a + f.rules, 0));
    expect(report.matrices.map((m) => `${m.env}/${m.namespace}`)).toContain('prod/wondernest');
    expect(report.violations).toEqual([]);
  }, 180000);
});
