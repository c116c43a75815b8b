#!/usr/bin/env node
/*
 * The CLI entry point behind `npm run deploy|status|diff`: runs the precompiled build/cli/main.js,
 * compiling first with tsc only when a TypeScript source is newer than the last build (the same
 * build-on-change path as scripts/synth.js), so a call with nothing changed does not pay for tsc.
 *
 *   node scripts/cli.js <deploy|status|diff> <env> [flags]
 *
 * A TypeScript error prints tsc's message and exits 1, without a JavaScript stack trace.
 */
'use strict';
const path = require('path');
const { ensureBuild, runReportingUserErrors } = require('./ensure-build');

runReportingUserErrors(() => {
  const build = ensureBuild();
  // build/cli/main.js runs itself only when it is the main module; here it is required and called.
  const cli = /** @type {{ main: (argv: readonly string[]) => Promise<number> }} */ (require(path.join(build, 'cli', 'main.js')));
  // main() reports every error itself and resolves to the exit code.
  void cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
});
