/*
 * Compiles the TypeScript sources into build/ with tsc (incremental), but only when a source
 * is newer than the last build. Shared by the synth entry point and `npm run check`.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'build', '.stamp');
const SOURCE_DIRS = ['config', 'lib', 'charts', 'imports', 'cli'];

/**
 * @param {string} dir
 * @returns {number} the newest mtime (ms) of a .ts/.json file under `dir`, or `newest` when larger
 */
function newestSource(dir, newest = 0) {
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(p, newest);
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function sourcesNewerThanBuild() {
  if (!fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  let newest = Math.max(fs.statSync(path.join(root, 'main.ts')).mtimeMs, fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs);
  for (const dir of SOURCE_DIRS) newest = newestSource(path.join(root, dir), newest);
  return newest > built;
}

/** Makes build/ current; returns the build folder. */
function ensureBuild() {
  if (sourcesNewerThanBuild()) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
      cwd: root,
      stdio: 'inherit',
    });
    fs.writeFileSync(stamp, new Date().toISOString() + '\n');
  }
  return path.join(root, 'build');
}

module.exports = { ensureBuild, root };
