#!/usr/bin/env node
/*
 * `npm run check`: synthesizes every stack and environment into a temporary folder and prints the
 * one-screen report of the offline manifest checks (schema, pod security, best practices, secrets,
 * reachability, connections, disruption, capacity) with the requests at minimum replicas and at
 * HPA max per environment. Exits 1 when a rule is broken.
 *   --dir <outdir>   check an existing output folder instead (needs its construct-metadata.json)
 *   --json           print the report as JSON: summary (objects per kind, rules, families, reachability
 *                    matrices, capacity) and violations
 *   --help           print the usage
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureBuild } = require('./ensure-build');

const USAGE = `Usage: npm run check -- [--dir <outdir>] [--json]

Synthesizes every stack and environment into a temporary folder and runs the offline manifest checks
(schema, pod-security, best-practices, secrets, reachability, connections, disruption, capacity) and prints
the CPU/memory requests at minimum replicas and at HPA max per environment against its nodes. Exit code
0 = no violation, 1 = violations, 2 = usage error.

  --dir <outdir>   check an existing output folder instead (e.g. dist; needs its construct-metadata.json)
  --json           print the report as JSON: {objects, kinds, rules, families, matrices, capacity, violations}
  --help, -h       print this help`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const known = new Set(['--dir', '--json']);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i])) {
    console.error(`check: unknown argument '${args[i]}'; expected --dir <outdir>, --json or --help`);
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
/** @type {typeof import('../lib/checks/reachability-check')} */
const { analyze } = require(path.join(build, 'lib', 'checks', 'reachability-check.js'));
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
    const broken = new Set(result.violations.map((v) => v.rule));
    console.log(
      JSON.stringify(
        {
          objects: objects.length,
          kinds: result.kinds,
          rules: result.rules.map((r) => ({ id: r.id, family: r.family, description: r.description, passed: !broken.has(r.id) })),
          families: result.families.map((family) => {
            const rules = result.rules.filter((r) => r.family === family);
            return { family, rules: rules.length, passed: rules.filter((r) => !broken.has(r.id)).length };
          }),
          matrices: result.families.includes('reachability') ? (result.reachability ?? analyze(input).namespaces) : [],
          capacity: result.families.includes('capacity') ? checks.capacityJson(input) : [],
          violations: result.violations.map((v) => ({
            rule: v.rule,
            env: v.object?.env,
            kind: v.object?.object.kind,
            name: v.object?.object.metadata?.name,
            namespace: v.object?.object.metadata?.namespace,
            field: v.field,
            message: v.message,
            construct: v.object?.constructPath,
          })),
        },
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
