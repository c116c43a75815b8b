#!/usr/bin/env node
/*
 * `npm run check`: synthesizes every stack and environment into a temporary folder and prints the
 * one-screen report of the offline manifest checks (schema, pod security, best practices, secrets,
 * reachability). Exits 1 when a rule is broken.
 *   --dir <outdir>   check an existing output folder instead (needs its construct-metadata.json)
 *   --json           print the violations as JSON
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureBuild } = require('./ensure-build');

const args = process.argv.slice(2);
const known = new Set(['--dir', '--json']);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i])) {
    console.error(`check: unknown argument '${args[i]}'; expected --dir <outdir> or --json`);
    process.exit(2);
  }
  if (args[i] === '--dir') i++;
}
const dirIndex = args.indexOf('--dir');
if (dirIndex >= 0 && !args[dirIndex + 1]) {
  console.error('check: --dir needs a folder, e.g. --dir dist');
  process.exit(2);
}

const build = ensureBuild();
/** @type {typeof import('../lib/checks')} */
const checks = require(path.join(build, 'lib', 'checks'));
/** @type {typeof import('../lib/checks/report')} */
const { formatReport } = require(path.join(build, 'lib', 'checks', 'report.js'));
const started = Date.now();
let outdir = dirIndex >= 0 ? path.resolve(args[dirIndex + 1]) : undefined;
let temp;
if (!outdir) {
  temp = outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-'));
  require(path.join(build, 'main.js')).synthesizeAll(outdir, { recordMetadata: true });
}
try {
  const metadata = checks.loadConstructMetadata(outdir);
  if (!metadata) {
    console.error(
      `check: ${path.join(outdir, checks.CONSTRUCT_METADATA_FILE)} not found; synthesize with CDK8S_RECORD_CONSTRUCT_METADATA=true or run without --dir`,
    );
    process.exit(2);
  }
  const objects = checks
    .loadManifests(outdir)
    .map((m) => ({ ...m, constructPath: metadata.resources[checks.objectKey(m.env, m.object)]?.path }));
  const input = { objects, environments: metadata.environments };
  const result = checks.runChecks(input);
  if (args.includes('--json')) {
    console.log(
      JSON.stringify(
        result.violations.map((v) => ({
          rule: v.rule,
          env: v.object?.env,
          kind: v.object?.object.kind,
          name: v.object?.object.metadata?.name,
          namespace: v.object?.object.metadata?.namespace,
          field: v.field,
          message: v.message,
          construct: v.object?.constructPath,
        })),
        null,
        2,
      ),
    );
  } else {
    console.log(formatReport(input, result));
    console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  process.exitCode = result.violations.length ? 1 : 0;
} finally {
  if (temp) fs.rmSync(temp, { recursive: true, force: true });
}
