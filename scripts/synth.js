#!/usr/bin/env node
/*
 * The cdk8s app entry point (cdk8s.yaml `app`). Runs the precompiled build/main.js,
 * compiling first with tsc (incremental) only when a TypeScript source is newer than
 * the last build. This avoids ts-node's per-run type-check and transpile cost.
 */
'use strict';
const path = require('path');
const { ensureBuild, root, runReportingUserErrors } = require('./ensure-build');

runReportingUserErrors(() => {
  const build = ensureBuild();
  require(path.join(build, 'main.js')).synthesizeAll(process.env.CDK8S_OUTDIR || path.join(root, 'dist'));
});
