#!/usr/bin/env node
/*
 * `cdk8s synth` without the rest of the cdk8s CLI: the CLI's own synth command module
 * (cdk8s-cli/lib/cli/cmds/synth.js: reads cdk8s.yaml, empties the output folder, runs the app,
 * runs the `validations` plugins, exit 2 on a violation) under the same yargs setup as
 * cdk8s-cli/lib/cli/index.js, but without `commandDir('cmds')`.
 *
 * Why: `cdk8s <anything>` first requires every command module, and `init` pulls in jsii-pacmak and
 * jsii-rosetta: about 0.5 s of module loading, a fifth of `npm run synth`, for commands synth never
 * runs. `npx cdk8s synth` keeps working as before; scripts/synth-to-dist.js (npm run synth) runs this.
 *
 *   node scripts/cdk8s-synth.js [cdk8s synth options]     the same options as `cdk8s synth`
 */
'use strict';
const path = require('path');
const { createRequire } = require('module');

const cli = path.dirname(require.resolve('cdk8s-cli/package.json'));
// The yargs the CLI itself uses (its own dependency), so options and failures behave the same.
const cliRequire = createRequire(path.join(cli, 'package.json'));
const yargs = cliRequire('yargs');
// A file path, not a package subpath: cdk8s-cli's `exports` map does not list its commands.
const synth = require(path.join(cli, 'lib', 'cli', 'cmds', 'synth.js'));

const argv = process.argv.slice(2);
yargs
  // Accepted like the CLI's; the upgrade check (a registry call) is never made here.
  .option('check-upgrade', { type: 'boolean', desc: 'Ignored: no upgrade check', default: false })
  .command(synth)
  .showHelpOnFail(false)
  .env('CDK8S')
  .help()
  .parse(['synth', ...argv]);

// The handler has started the app (another process) and waits for it: meanwhile, on this otherwise idle
// process, load the local validation plugins of cdk8s.yaml, which the CLI requires (from the module
// cache, then) once the app is done, and let them prepare. A plugin that fails to load is left to the
// CLI to report.
if (!argv.includes('--no-validate') && !argv.includes('--help')) {
  setImmediate(() => {
    /** @type {{ validations?: unknown }} */
    const config = cliRequire('./lib/config.js').readConfigSync() ?? {};
    const validations = Array.isArray(config.validations) ? config.validations : [];
    for (const v of validations) {
      const pkg = v && typeof v === 'object' && 'package' in v && typeof v.package === 'string' ? v.package : undefined;
      if (!pkg || !(path.isAbsolute(pkg) || pkg.startsWith(`.${path.sep}`))) continue;
      try {
        /** @type {Record<string, unknown>} */
        const plugin = require(path.resolve(process.cwd(), pkg));
        // and what its first run would load (a plugin class's optional static prepare(), e.g. ManifestChecks)
        const clazz = typeof v.class === 'string' ? plugin[v.class] : undefined;
        if (typeof clazz === 'function' && 'prepare' in clazz && typeof clazz.prepare === 'function') clazz.prepare();
      } catch {
        // reported by the CLI when it loads the plugin itself
      }
    }
  });
}
