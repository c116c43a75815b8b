#!/usr/bin/env node
/*
 * `npm run synth`: runs `cdk8s synth` into a staging folder next to dist/ and replaces dist/ with
 * it only when the config, the app AND the validations succeeded.
 *
 * The cdk8s CLI empties its output folder before the app runs, so `cdk8s synth` straight into
 * dist/ leaves the repository without its committed manifests after any error (bad config, a
 * failing check). Here the CLI's output folder is `dist.staging-<pid>/` (a sibling, so on the
 * same file system): on failure it is deleted and dist/ is untouched, byte for byte; on success
 * dist/ is renamed away, the staging folder renamed to dist/, and the old tree deleted, so
 * nothing of a removed stack stays behind.
 *
 * For the project's own app it first compiles build/ when a source changed (a TypeScript error
 * prints tsc's messages, exit 1, before anything runs), then validates the config of every
 * environment while cdk8s synth starts (invalid config: every problem, exit 1, dist/ untouched).
 * SYNTH_NO_PREFLIGHT=1 skips both, leaving them to the app inside cdk8s synth (tests).
 *
 *   node scripts/synth-to-dist.js [cdk8s synth options]   e.g. --app "node other-app.js", --no-validate
 *   SYNTH_DIST=/tmp/out node scripts/synth-to-dist.js      another target folder (tests)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { ensureBuild, runReportingUserErrors } = require('./ensure-build');

const root = path.resolve(__dirname, '..');
const dist = path.resolve(process.env.SYNTH_DIST || path.join(root, 'dist'));
const args = process.argv.slice(2);
if (args.some((a) => a === '--output' || a === '-o' || a.startsWith('--output=') || a === '--stdout' || a === '-p')) {
  process.stderr.write(
    'synth-to-dist: the output folder is dist/ (SYNTH_DIST to change it); for another folder run `npx cdk8s synth --output <dir>`\n',
  );
  process.exit(1);
}

const staging = `${dist}.staging-${process.pid}`;
const old = `${dist}.old-${process.pid}`;

// Ctrl-C reaches cdk8s too; stay alive until it has exited, so the staging folder is removed.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

// The project's own app (no --app): compile when a source changed (before the app starts, so only one
// tsc ever runs), then check the config beside cdk8s synth instead of before it (see preflight()).
const ownApp = !args.some((a) => a === '--app' || a === '-a' || a.startsWith('--app=')) && process.env.SYNTH_NO_PREFLIGHT !== '1';
if (ownApp) runReportingUserErrors(ensureBuild);

main().then(
  (status) => process.exit(status),
  (err) => {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  },
);

/** @returns {Promise<number>} the exit status */
async function main() {
  /** @type {number} */
  let status;
  try {
    // scripts/cdk8s-synth.js: the CLI's synth command without loading its other commands (see there).
    const child = spawn(process.execPath, [path.join(__dirname, 'cdk8s-synth.js'), ...args, '--output', staging], {
      cwd: root,
      stdio: ['inherit', ownApp ? 'pipe' : 'inherit', ownApp ? 'pipe' : 'inherit'],
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
    const exited = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
    const configError = ownApp ? preflight(child) : undefined;
    status = /** @type {number} */ (await exited);
    if (configError) {
      process.stderr.write(`${configError}\n`);
      status = 1;
    }
    if (status === 0 && !fs.existsSync(staging)) {
      process.stderr.write('synth-to-dist: cdk8s synth succeeded but wrote nothing\n');
      status = 1;
    }
    if (status === 0) {
      swap();
      console.log(`${path.relative(process.cwd(), dist) || '.'}/ replaced with the new output`);
    } else {
      process.stderr.write(`synth failed (exit ${status}): ${path.relative(process.cwd(), dist) || dist}/ left unchanged\n`);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return status;
}

/**
 * Validates every environment's config (every problem of every file: field, value, what is allowed)
 * while cdk8s synth starts up in `child`, on the other core: the same check as the app's first step,
 * about 0.3 s that used to run before the CLI. The child's output is held back meanwhile; with invalid
 * config it is dropped (the app fails on the same config, with cdk8s's stack trace around it) and
 * the message is returned, otherwise it is passed on.
 * @param {import('child_process').ChildProcess} child
 * @returns {string | undefined} the config error message
 */
function preflight(child) {
  /** @type {Array<[NodeJS.WriteStream, Buffer]>} */
  const held = [];
  const hold = (/** @type {NodeJS.WriteStream} */ to) => (/** @type {Buffer} */ chunk) => held.push([to, chunk]);
  const holdOut = hold(process.stdout);
  const holdErr = hold(process.stderr);
  child.stdout?.on('data', holdOut);
  child.stderr?.on('data', holdErr);
  try {
    require(path.join(root, 'build', 'config')).loadEnvironments();
  } catch (e) {
    if (e instanceof Error && e.name === 'ConfigError') {
      child.stdout?.resume();
      child.stderr?.resume();
      return e.message;
    }
    throw e;
  }
  child.stdout?.off('data', holdOut);
  child.stderr?.off('data', holdErr);
  for (const [to, chunk] of held) to.write(chunk);
  child.stdout?.pipe(process.stdout);
  child.stderr?.pipe(process.stderr);
  return undefined;
}

/** dist/ -> dist.old-<pid>/, staging -> dist/, then deletes the old tree; puts dist/ back when the second rename fails. */
function swap() {
  const hadDist = fs.existsSync(dist);
  if (hadDist) fs.renameSync(dist, old);
  try {
    fs.renameSync(staging, dist);
  } catch (e) {
    if (hadDist) fs.renameSync(old, dist);
    throw e;
  }
  if (hadDist) fs.rmSync(old, { recursive: true, force: true });
}
