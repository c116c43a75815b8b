#!/usr/bin/env node
/*
 * npm run kind:up -- [--env dev] [--timeout 10m] [--dry-run] [--force-conflicts]
 *
 * Brings the local kind cluster to the state of the repository: creates it from kind-config.yaml
 * when absent, installs the pinned platform charts (config/platform-charts.ts) with the same
 * values Argo CD uses, applies dist/<env> server-side in dependency order (platform, then each
 * stack by sync wave), waits for secrets, certificates and rollouts, and prints the URLs and how
 * to trust the local CA. A second run changes nothing.
 *
 * The logic is lib/delivery (TypeScript, tested without Docker); this file only wires it to the
 * project: it compiles build/ when a source is newer (scripts/ensure-build.js) and reads the
 * environment, the stack registry and the platform charts from there.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureBuild, root } = require('./ensure-build');

/** @param {readonly string[]} argv */
function main(argv) {
  const build = ensureBuild();
  /** @type {typeof import('../lib/delivery')} */
  const delivery = require(path.join(build, 'lib', 'delivery'));
  const args = delivery.parseKindUpArgs(argv);
  if (args.help) {
    console.log(delivery.KIND_UP_USAGE);
    return;
  }
  // Tools first: a missing tool is the most common problem and needs no config.
  const tools = delivery.locateTools(['docker', 'kind', 'kubectl', 'helm'], { env: process.env, projectRoot: root });

  /** @type {typeof import('../config')} */
  const config = require(path.join(build, 'config'));
  /** @type {typeof import('../config/platform-charts')} */
  const { platformReleasesFor, KIND_INGRESS } = require(path.join(build, 'config', 'platform-charts'));
  /** @type {typeof import('../charts')} */
  const { STACKS } = require(path.join(build, 'charts'));
  const raw = config.ENVIRONMENTS[args.env];
  if (!raw)
    throw new delivery.UsageError(
      `--env: no environment '${args.env}' (known: ${Object.keys(config.ENVIRONMENTS).join(', ')})`,
      delivery.KIND_UP_USAGE,
    );
  const env = config.loadEnvironment(raw, `config/${args.env}.ts`);
  if (env.cluster.kind !== 'kind') {
    throw new delivery.DeliveryError(
      `environment '${env.name}' runs on ${env.cluster.kind}; kind:up only brings up environments whose cluster.kind is 'kind'`,
    );
  }

  const kindConfigPath = path.join(root, 'kind-config.yaml');
  const kindConfig = delivery.parseKindConfig(fs.readFileSync(kindConfigPath, 'utf8'), 'kind-config.yaml');
  const problems = delivery.kindConfigProblems(kindConfig, { clusterName: env.cluster.name, ingress: KIND_INGRESS });
  if (problems.length > 0) {
    throw new delivery.DeliveryError(
      `kind-config.yaml does not match config/${env.name}.ts and config/platform-charts.ts:\n  - ${problems.join('\n  - ')}`,
    );
  }

  const distDir = path.join(root, 'dist', env.name);
  const manifests = ['platform', ...STACKS.map((s) => s.name)].map((name) => {
    const file = path.join(distDir, `${name}.k8s.yaml`);
    if (!fs.existsSync(file)) throw new delivery.DeliveryError(`${path.relative(root, file)} does not exist; run \`npm run synth\` first`);
    return delivery.readManifestFile(name, file, path.relative(root, file));
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kind-up-'));
  try {
    const report = delivery.kindUp(
      {
        clusterName: env.cluster.name,
        kindConfigPath,
        tools,
        releases: platformReleasesFor(env),
        manifests,
        timeout: args.timeout,
        dryRun: args.dryRun,
        forceConflicts: args.forceConflicts,
      },
      {
        runner: delivery.spawnRunner({ cwd: root }),
        log: (line) => console.log(line),
        writeTempFile: (name, content) => {
          const file = path.join(tmp, name);
          fs.writeFileSync(file, content, { mode: 0o600 });
          return file;
        },
        removeFile: (file) => fs.rmSync(file, { force: true }),
        sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
      },
    );
    for (const line of report.summary) console.log(line);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main(process.argv.slice(2));
} catch (caught) {
  const err = /** @type {Error | undefined} */ (caught);
  if (err && (err.name === 'DeliveryError' || err.name === 'UsageError')) {
    console.error(`kind:up: ${err.message}`);
    process.exitCode = err.name === 'UsageError' ? 2 : 1;
  } else if (err && err.name === 'ConfigError') {
    console.error(`kind:up: ${err.message}`);
    process.exitCode = 1;
  } else {
    console.error(`kind:up: unexpected error: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  }
}
