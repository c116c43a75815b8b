import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/* `npm run bench` (scripts/bench.js) with BENCH_RUNS=1: says up front what it does, and leaves no temp folder behind. */
const root = path.resolve(__dirname, '..');

test('npm run bench announces its length and removes its temp folders', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'bench.js')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BENCH_RUNS: '1', TMPDIR: tmp },
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n')[0]).toContain('1 full synths through each of 2 paths (3 in all');
    expect(r.stdout).toContain('ratio:');
    expect(r.stdout).toMatch(/npm run synth: [\d.]+ s median; target < 2 s: (met|NOT met)/);
    // the manifest checks: real output, the 1x/4x/16x synthetic app, synth + checks
    expect(r.stdout).toMatch(/\(a\) checks on the real output/);
    expect(r.stdout).toMatch(/ 16x: +\d+ objects .* us\/object/);
    expect(r.stdout).toMatch(/per-object time at 16x is [\d.]+x that at 1x/);
    expect(r.stdout).toMatch(/\(c\) synth \+ checks/);
    // (v8-compile-cache, used by ts-node, keeps its own cache folder in TMPDIR)
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('bench-'))).toEqual([]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 600000);
