import { spawnSync } from 'child_process';
import * as path from 'path';
import { ALL_CHECK_FAMILIES } from './support/check-families';

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
      capacity: {
        env: string;
        groups: { group: string; min: { cpuMillis: number }; peak: { cpuMillis: number } }[];
        min: { cpuMillis: number; memoryBytes: number };
        peak: { cpuMillis: number; memoryBytes: number };
        nodes?: { neededAtMin: number; neededAtPeak: number; available: number; autoscaler: { maxNodes: number } | null };
      }[];
      violations: unknown[];
    };
    expect(Object.keys(report)).toEqual(['objects', 'kinds', 'rules', 'families', 'matrices', 'capacity', 'violations']);
    expect(report.objects).toBe(Object.values(report.kinds).reduce((a, b) => a + b, 0));
    expect(report.kinds.Deployment).toBeGreaterThan(0);
    expect(report.families.map((f) => f.family)).toEqual(ALL_CHECK_FAMILIES);
    expect(report.families.every((f) => f.passed === f.rules)).toBe(true);
    expect(report.rules.length).toBe(report.families.reduce((a, f) => a + f.rules, 0));
    expect(report.matrices.map((m) => `${m.env}/${m.namespace}`)).toContain('prod/wondernest');
    // requests at minimum and at HPA max per environment; prod's against its nodes and autoscaler
    expect(report.capacity.map((c) => c.env)).toEqual(['dev', 'prod']);
    for (const c of report.capacity) {
      expect(c.groups.map((g) => g.group)).toEqual(expect.arrayContaining(['wondernest', 'pagodirecto', 'ecommerce', 'platform']));
      expect(c.peak.cpuMillis).toBeGreaterThan(c.min.cpuMillis);
    }
    const prod = report.capacity.find((c) => c.env === 'prod')!;
    expect(prod.nodes!.neededAtPeak + 1).toBeLessThanOrEqual(prod.nodes!.autoscaler!.maxNodes);
    expect(report.capacity.find((c) => c.env === 'dev')!.nodes).toBeUndefined();
    expect(report.violations).toEqual([]);
  }, 180000);

  test('the text report prints the requests at minimum and at peak per environment', () => {
    const r = check();
    expect(r.status).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('Capacity ('));
    expect(section).toMatch(/\n +dev min +dev peak +prod min +prod peak\n/);
    const q = '[0-9.]+ / [0-9.]+Gi';
    expect(section).toMatch(new RegExp(`\\n  wondernest +${q} +${q} +${q} +${q}\\n`));
    expect(section).toMatch(new RegExp(`\\n  total +${q} +${q} +${q} +${q}\\n`));
    expect(section).toMatch(
      /\n {2}prod nodes: .*cluster-autoscaler up to [0-9]+ nodes.*; needs [0-9]+ at minimum, [0-9]+ at peak \(\+1 for a drain; [0-9]+ available\)/,
    );
    expect(section).toContain('dev nodes: not declared (cluster.nodes)');
  }, 180000);
});
