import { spawnSync } from 'child_process';
import * as path from 'path';

/* The CLI part of `npm run bench` (scripts/bench-cli.js): prints the median beside the target. Speed itself is not asserted here. */
const root = path.resolve(__dirname, '..');

test('benchCli times node scripts/cli.js status --help and prints the target', () => {
  const r = spawnSync(process.execPath, ['-e', "require('./scripts/bench-cli').benchCli(1)"], { cwd: root, encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(r.stdout).toMatch(
    /^node scripts\/cli\.js status --help +min \d+\.\d\d s {2}median \d+\.\d\d s {2}max \d+\.\d\d s {2}\(1 runs\)\n/,
  );
  expect(r.stdout).toMatch(/CLI startup \(npm run deploy\|status\|diff, nothing changed\): target < 1 s: (met|NOT met)\n$/);
}, 180_000);
