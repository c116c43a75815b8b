/*
 * CLI startup time for `npm run bench` (scripts/bench.js): `node scripts/cli.js status --help`,
 * warm (build/ current), median of several runs, against the target of under 1 s.
 */
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const TARGET_MS = 1000;

/**
 * Times the CLI launcher `runs` times after one warm-up run, prints the median with the target,
 * and with BENCH_ENFORCE=1 sets exit code 1 when the target is missed.
 * @param {number} runs
 * @returns {number} the median in ms
 */
function benchCli(runs) {
  const args = [path.join(root, 'scripts', 'cli.js'), 'status', '--help'];
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`node scripts/cli.js status --help failed:\n${r.stderr}`);
    return ms;
  };
  once(); // warm-up: compiles build/ when a source changed, fills the OS file cache
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(once());
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  const fmt = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `${'node scripts/cli.js status --help'.padEnd(34)} min ${fmt(samples[0])}  median ${fmt(median)}  max ${fmt(samples[samples.length - 1])}  (${runs} runs)`,
  );
  const met = median < TARGET_MS;
  console.log(`CLI startup (npm run deploy|status|diff, nothing changed): target < 1 s: ${met ? 'met' : 'NOT met'}`);
  if (process.env.BENCH_ENFORCE === '1' && !met) process.exitCode = 1;
  return median;
}

module.exports = { benchCli };
