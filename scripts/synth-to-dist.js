#!/usr/bin/env node
/*
 * Second step of `npm run synth`: runs `cdk8s synth` into a staging folder next to dist/ and
 * replaces dist/ with it only when the app AND the validations succeeded.
 *
 * The cdk8s CLI empties its output folder before the app runs, so `cdk8s synth` straight into
 * dist/ leaves the repository without its committed manifests after any error (bad config, a
 * failing check). Here the CLI's output folder is `dist.staging-<pid>/` (a sibling, so on the
 * same file system): on failure it is deleted and dist/ is untouched, byte for byte; on success
 * dist/ is renamed away, the staging folder renamed to dist/, and the old tree deleted, so
 * nothing of a removed stack stays behind.
 *
 *   node scripts/synth-to-dist.js [cdk8s synth options]   e.g. --app "node other-app.js", --no-validate
 *   SYNTH_DIST=/tmp/out node scripts/synth-to-dist.js      another target folder (tests)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

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

/** @type {number} */
let status;
try {
  const r = spawnSync(
    process.execPath,
    [
      path.join(path.dirname(require.resolve('cdk8s-cli/package.json')), 'bin', 'cdk8s'),
      'synth',
      '--no-check-upgrade',
      ...args,
      '--output',
      staging,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } },
  );
  if (r.error) throw r.error;
  status = r.status ?? 1;
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
process.exit(status);

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
