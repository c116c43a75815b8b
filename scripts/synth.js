#!/usr/bin/env node
/*
 * The cdk8s app entry point (cdk8s.yaml `app`). Runs the precompiled build/main.js,
 * compiling first with tsc (incremental) only when a TypeScript source is newer than
 * the last build. This avoids ts-node's per-run type-check and transpile cost.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'build', '.stamp');

function newestSource(dir, newest = 0) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(p, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function sourcesNewerThanBuild() {
  if (!fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  let newest = Math.max(fs.statSync(path.join(root, 'main.ts')).mtimeMs, fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs);
  for (const dir of ['config', 'lib', 'charts', 'imports']) newest = newestSource(path.join(root, dir), newest);
  return newest > built;
}

if (sourcesNewerThanBuild()) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
}
require(path.join(root, 'build', 'main.js')).synthesizeAll(process.env.CDK8S_OUTDIR || path.join(root, 'dist'));
