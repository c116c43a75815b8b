/*
 * The manifest checks' part of `npm run bench` (scripts/bench.js calls announce() up front and run()):
 *   (a) the checks on the real output (every stack x environment + Argo CD): load (YAML) + run, timed
 *       in-process (compiled checks required once, one warm-up, median of BENCH_RUNS runs), target < 0.5 s;
 *       also the first run in a fresh process, which is what the cdk8s validation plugin pays
 *   (b) a synthetic app of 1x, 4x and 16x the real objects (lib/checks/replicate.ts: copies in renamed
 *       namespaces; the YAML read k times): time per object, linear when 16x is within 1.5x of 1x
 *   (c) synth + checks as `cdk8s synth` runs them, without the CLI's own start-up: the app
 *       (node scripts/synth.js, recording construct metadata) then the validation plugin in a fresh
 *       node process, target < 2 s
 * BENCH_ENFORCE=1 sets exit code 1 when a target is missed. Temp folders (bench-checks-*) are removed.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const CHECKS_TARGET_MS = 500;
const TOTAL_TARGET_MS = 2000;
const LINEAR_FACTOR = 1.5;
const SCALES = [1, 4, 16];

/** @param {number} ms */
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
/** @param {number[]} samples */
const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
/** @param {() => void} fn */
function ms(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** @param {number} runs */
function announce(runs) {
  console.log(
    `then the manifest checks: (a) on the real output, in-process, 1 warm-up + ${runs} runs (target < ${fmt(CHECKS_TARGET_MS)});` +
      ` (b) a synthetic app of ${SCALES.join('x, ')}x the objects, ${runs} runs each (linear: per-object time at 16x within ${LINEAR_FACTOR}x of 1x);` +
      ` (c) synth + checks as cdk8s synth runs them, ${runs} runs (target < ${fmt(TOTAL_TARGET_MS)}).`,
  );
}

/** Runs `node <args>` and returns its wall time in ms; throws with its stderr when it fails. */
function timeNode(/** @type {string} */ label, /** @type {string[]} */ args, /** @type {NodeJS.ProcessEnv} */ env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return { ms: elapsed, stdout: r.stdout };
}

/** The validation plugin as the cdk8s CLI runs it (in a fresh process): prints its own time in ms as JSON. */
const PLUGIN_RUN = `
const t0 = process.hrtime.bigint();
const fs = require('fs'), path = require('path');
const outdir = process.argv[1];
const list = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? list(path.join(d, e.name)) : e.name.endsWith('.yaml') ? [path.join(d, e.name)] : []);
const { ManifestChecks } = require(${JSON.stringify(path.join(root, 'scripts', 'validation-plugin.js'))});
let status;
new ManifestChecks().validate({
  manifests: list(outdir),
  report: { addViolation() {}, submit(s) { status = s; } },
  logger: { log() {} },
}).then(() => {
  if (status !== 'success') { console.error('checks failed: ' + status); process.exit(1); }
  console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
});
`;

/**
 * @param {number} runs
 * @returns {{ ok: boolean }}
 */
function run(runs) {
  const misses = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-checks-'));
  try {
    const outdir = path.join(tmp, 'out');
    console.log('checks: synthesizing every stack x environment with construct metadata...');
    timeNode('synth', [path.join(root, 'scripts', 'synth.js')], { CDK8S_OUTDIR: outdir, CDK8S_RECORD_CONSTRUCT_METADATA: 'true' });

    // The compiled checks, required once (synth.js has just made build/ current).
    const build = path.join(root, 'build');
    /** @type {typeof import('../lib/checks')} */
    const checks = require(path.join(build, 'lib', 'checks'));
    /** @type {typeof import('../lib/checks/load')} */
    const load = require(path.join(build, 'lib', 'checks', 'load.js'));
    /** @type {typeof import('../lib/checks/replicate')} */
    const { replicateInput } = require(path.join(build, 'lib', 'checks', 'replicate.js'));
    const metadata = checks.loadConstructMetadata(outdir);
    if (!metadata) throw new Error(`no construct metadata in ${outdir}`);
    const loadAll = () =>
      checks.loadManifests(outdir).map((m) => ({ ...m, constructPath: metadata.resources[checks.objectKey(m.env, m.object)]?.path }));

    // (a) the real output
    console.log(`(a) checks on the real output: first run in a fresh process, then in-process (1 warm-up + ${runs} runs)...`);
    const cold = JSON.parse(timeNode('validation plugin', ['-e', PLUGIN_RUN, outdir], {}).stdout).ms;
    /** @type {number[]} */
    const loads = [];
    /** @type {number[]} */
    const runsOnly = [];
    /** @type {number[]} */
    const totals = [];
    let objects = 0;
    let violations = 0;
    for (let i = 0; i <= runs; i++) {
      /** @type {import('../lib/checks').ManifestObject[]} */
      let loaded = [];
      const l = ms(() => (loaded = loadAll()));
      const c = ms(() => (violations = checks.runChecks({ objects: loaded, environments: metadata.environments }).violations.length));
      objects = loaded.length;
      if (i > 0) {
        loads.push(l);
        runsOnly.push(c);
        totals.push(l + c);
      }
    }
    const real = median(totals);
    const realOk = real < CHECKS_TARGET_MS;
    if (!realOk) misses.push('checks on the real output');
    console.log(
      `    ${objects} objects, ${violations} violations: ${fmt(real)} median (medians: read ${fmt(median(loads))}, checks ${fmt(median(runsOnly))});` +
        ` target < ${fmt(CHECKS_TARGET_MS)}: ${realOk ? 'met' : 'NOT met'}`,
    );
    console.log(`    first run in a fresh process (the validation plugin under cdk8s synth, node start-up excluded): ${fmt(cold)}`);

    // (b) synthetic app: N copies in renamed namespaces; the YAML of the real output read N times
    console.log(`(b) synthetic app: ${SCALES.map((k) => `${k}x`).join(', ')} the real objects, ${runs} runs each...`);
    const files = ['dev', 'prod', 'argocd'].flatMap((d) => listYaml(path.join(outdir, d)));
    const base = { objects: loadAll(), environments: metadata.environments };
    /** @type {Array<{ k: number, objects: number, perObject: number }>} */
    const series = [];
    for (const k of SCALES) {
      const input = replicateInput(base, k);
      /** @type {number[]} */
      const samples = [];
      let found = 0;
      for (let i = 0; i < runs; i++) {
        const read = ms(() => {
          for (let j = 0; j < k; j++) for (const f of files) load.parseManifestFile(f);
        });
        const check = ms(() => (found = checks.runChecks(input).violations.length));
        samples.push(read + check);
      }
      const t = median(samples);
      const perObject = (t * 1000) / input.objects.length;
      series.push({ k, objects: input.objects.length, perObject });
      console.log(
        `    ${`${k}x`.padStart(3)}: ${String(input.objects.length).padStart(5)} objects  ${fmt(t)}  ${perObject.toFixed(0)} us/object  (${found} violations)`,
      );
    }
    const growth = series[series.length - 1].perObject / series[0].perObject;
    const linear = growth <= LINEAR_FACTOR;
    if (!linear) misses.push('linear growth');
    console.log(
      `    per-object time at ${SCALES[SCALES.length - 1]}x is ${growth.toFixed(2)}x that at 1x: ${linear ? 'linear' : 'NOT linear'} (limit ${LINEAR_FACTOR}x)`,
    );

    // (c) synth + checks, each in a fresh process as under cdk8s synth
    console.log(`(c) synth + checks (app, then the validation plugin in a fresh process), ${runs} runs...`);
    /** @type {number[]} */
    const apps = [];
    /** @type {number[]} */
    const plugins = [];
    /** @type {number[]} */
    const sums = [];
    for (let i = 0; i < runs; i++) {
      const out = path.join(tmp, `synth-${i}`);
      const app = timeNode('synth', [path.join(root, 'scripts', 'synth.js')], {
        CDK8S_OUTDIR: out,
        CDK8S_RECORD_CONSTRUCT_METADATA: 'true',
      }).ms;
      const plugin = timeNode('validation plugin', ['-e', PLUGIN_RUN, out], {}).ms;
      fs.rmSync(out, { recursive: true, force: true });
      apps.push(app);
      plugins.push(plugin);
      sums.push(app + plugin);
    }
    const total = median(sums);
    const totalOk = total < TOTAL_TARGET_MS;
    if (!totalOk) misses.push('synth + checks');
    console.log(
      `    ${fmt(total)} median (app ${fmt(median(apps))} + checks process ${fmt(median(plugins))}, node start-ups included);` +
        ` target < ${fmt(TOTAL_TARGET_MS)}: ${totalOk ? 'met' : 'NOT met'} (the cdk8s CLI adds its own start-up on top)`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (misses.length) console.log(`checks targets missed: ${misses.join(', ')}`);
  if (misses.length && process.env.BENCH_ENFORCE === '1') process.exitCode = 1;
  return { ok: misses.length === 0 };
}

/** @param {string} dir */
function listYaml(dir) {
  if (!fs.existsSync(dir)) return /** @type {string[]} */ ([]);
  /** @type {string[]} */
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listYaml(p));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

module.exports = { announce, run };

if (require.main === module) {
  const runs = Number(process.env.BENCH_RUNS || 5);
  announce(runs);
  run(runs);
}
