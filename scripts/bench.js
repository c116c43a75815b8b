#!/usr/bin/env node
/*
 * npm run bench: times `npm run synth` as a user runs it (scripts/synth-to-dist.js: cdk8s synth with
 * every check, all stacks x environments, manifests + Helm charts, into a temp folder) against the
 * target of under 2 s; then a full synth (every stack, both environments, plain manifests
 * and Helm charts) through the project's path (precompiled JS, what cdk8s.yaml runs)
 * against the stock cdk8s TypeScript path (`npx ts-node main.ts`) on the same code,
 * in one run, and prints both and the ratio.
 *
 * Then the manifest checks (scripts/bench-checks.js): on the real output, on a synthetic app of
 * 1x/4x/16x the objects, and synth + checks as cdk8s synth runs them.
 *
 *   BENCH_RUNS=5 npm run bench      (BENCH_ENFORCE=1: exit 1 when a target is missed)
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const benchChecks = require('./bench-checks');

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS || 5);

/**
 * Runs a command `runs` times, each into a fresh output folder; prints and returns the median in ms.
 * @param {string} label
 * @param {string} cmd
 * @param {readonly string[]} args
 */
function time(label, cmd, args, /** @type {(out: string) => NodeJS.ProcessEnv} */ env = (out) => ({ CDK8S_OUTDIR: out })) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    process.stdout.write(`  ${label}: run ${i + 1}/${runs}...\r`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    try {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, args, {
        cwd: root,
        env: { ...process.env, ...env(out), CDK8S_CHECK_UPGRADE: 'false' },
        encoding: 'utf8',
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${label} failed:\n${r.stderr}`);
      if (!fs.existsSync(path.join(out, 'helm'))) throw new Error(`${label} wrote no Helm charts into ${out}`);
      samples.push(ms);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  console.log(`${label.padEnd(34)} min ${fmt(samples[0])}  median ${fmt(median)}  max ${fmt(samples[samples.length - 1])}  (${runs} runs)`);
  return median;
}
const fmt = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(2)} s`;

console.log(
  `npm run bench: ${runs} runs of npm run synth, then ${runs} full synths through each of 2 paths (${2 * runs + 1} in all, a few seconds to tens of seconds each,` +
    ` so this takes minutes; BENCH_RUNS=1 for a quick look). Output goes to temp folders that are removed.`,
);
benchChecks.announce(runs);
// Make sure the precompiled build is current, so the project path is measured warm (as after any edit + first synth).
console.log('warming up (compiles build/ when a source changed)...');
const warm = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-warm-'));
try {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'synth.js')], { cwd: root, env: { ...process.env, CDK8S_OUTDIR: warm } });
} finally {
  fs.rmSync(warm, { recursive: true, force: true });
}

// npm run synth as a user runs it: cdk8s synth (the CLI's synth command), the app, every check, the swap into the target folder.
console.log(`npm run synth (cdk8s synth + every check, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)})`);
const total = time('node scripts/synth-to-dist.js', process.execPath, [path.join(root, 'scripts', 'synth-to-dist.js')], (out) => ({
  SYNTH_DIST: out,
}));
console.log(`npm run synth: ${fmt(total)} median; target < 2 s: ${total < 2000 ? 'met' : 'NOT met'}`);
if (process.env.BENCH_ENFORCE === '1' && total >= 2000) process.exitCode = 1;

benchChecks.run(runs);

console.log(`synth of all stacks x environments, plain + Helm, on ${os.cpus().length} cores`);
const ours = time('node scripts/synth.js (cdk8s.yaml)', process.execPath, [path.join(root, 'scripts', 'synth.js')]);
const stock = time('npx ts-node main.ts (stock)', 'npx', ['ts-node', 'main.ts']);
const ratio = stock / ours;
console.log(`ratio: ${ratio.toFixed(1)}x faster (target >= 2x, and under 2 s: ${ours < 2000 ? 'met' : 'NOT met'})`);
// exitCode, not exit(): the CLI timing below is printed either way.
if (process.env.BENCH_ENFORCE === '1' && (ratio < 2 || ours >= 2000)) process.exitCode = 1;

// CLI startup time (scripts/bench-cli.js), beside synth.
require('./bench-cli').benchCli(runs);
