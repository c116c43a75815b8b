#!/usr/bin/env node
/*
 * npm run kind:down -- [--env dev] [--dry-run]
 *
 * Deletes the local kind cluster of the environment (the name in kind-config.yaml, which
 * kind:up checks against config/<env>.ts cluster.name). Does nothing when it does not exist.
 * The logic is lib/delivery (compiled into build/ on demand by scripts/ensure-build.js).
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { ensureBuild, root } = require('./ensure-build');

/** @param {readonly string[]} argv */
function main(argv) {
  const build = ensureBuild();
  /** @type {typeof import('../lib/delivery')} */
  const delivery = require(path.join(build, 'lib', 'delivery'));
  const args = delivery.parseKindDownArgs(argv);
  if (args.help) {
    console.log(delivery.KIND_DOWN_USAGE);
    return;
  }
  const tools = delivery.locateTools(['docker', 'kind'], { env: process.env, projectRoot: root });
  /** @type {typeof import('../config')} */
  const config = require(path.join(build, 'config'));
  const raw = config.ENVIRONMENTS[args.env];
  if (!raw)
    throw new delivery.UsageError(
      `--env: no environment '${args.env}' (known: ${Object.keys(config.ENVIRONMENTS).join(', ')})`,
      delivery.KIND_DOWN_USAGE,
    );
  if (raw.cluster.kind !== 'kind') {
    throw new delivery.DeliveryError(`environment '${args.env}' runs on ${raw.cluster.kind}; kind:down only deletes kind clusters`);
  }
  const kindConfig = delivery.parseKindConfig(fs.readFileSync(path.join(root, 'kind-config.yaml'), 'utf8'), 'kind-config.yaml');
  if (kindConfig.name !== raw.cluster.name) {
    throw new delivery.DeliveryError(
      `kind-config.yaml names cluster '${kindConfig.name}' but config/${args.env}.ts cluster.name is '${raw.cluster.name}'; make them equal`,
    );
  }
  delivery.kindDown(
    { clusterName: kindConfig.name, tools, dryRun: args.dryRun },
    {
      runner: delivery.spawnRunner({ cwd: root }),
      log: (line) => console.log(line),
    },
  );
}

try {
  main(process.argv.slice(2));
} catch (caught) {
  const err = /** @type {Error | undefined} */ (caught);
  if (err && (err.name === 'DeliveryError' || err.name === 'UsageError')) {
    console.error(`kind:down: ${err.message}`);
    process.exitCode = err.name === 'UsageError' ? 2 : 1;
  } else {
    console.error(`kind:down: unexpected error: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  }
}
