#!/usr/bin/env node
/*
 * First step of `npm run synth`: compiles (when a source changed) and validates every environment
 * before the cdk8s CLI starts. A TypeScript error prints the compiler's messages; invalid config
 * prints every problem of every environment file (file, field, value, what is allowed). Either
 * way the exit code is 1 with no stack trace, and the CLI never runs, so nothing is half-written.
 */
'use strict';
const path = require('path');
const { ensureBuild, runReportingUserErrors } = require('./ensure-build');

runReportingUserErrors(() => {
  const build = ensureBuild();
  require(path.join(build, 'config')).loadEnvironments();
});
