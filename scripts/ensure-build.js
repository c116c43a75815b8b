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

/**
 * Deletes compiled files whose TypeScript source is gone (tsc never removes them): a stale
 * build/charts/x.js would shadow a new charts/x/ folder at require time.
 */
function pruneOrphans(dir = path.join(root, 'build')) {
  let pruned = 0;
  if (!fs.existsSync(dir)) return pruned;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      pruned += pruneOrphans(p);
      if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
    } else if (entry.name.endsWith('.js')) {
      const source = path.join(root, path.relative(path.join(root, 'build'), p)).replace(/\.js$/, '.ts');
      if (!fs.existsSync(source)) {
        fs.unlinkSync(p);
        pruned++;
      }
    }
  }
  return pruned;
}

/** The TypeScript compiler's diagnostics: the sources do not compile. */
class BuildError extends Error {
  /** @param {string} diagnostics tsc's output */
  constructor(diagnostics) {
    super(`TypeScript errors (npx tsc -p tsconfig.json):\n${diagnostics.trim()}`);
    this.name = 'BuildError';
  }
}

/**
 * Makes build/ current; returns the build folder. Throws a {@link BuildError} carrying tsc's
 * own messages when the sources do not compile (tsc's output is captured, not inherited: the cdk8s
 * CLI swallows a child's stdout, so the caller prints the message).
 */
function ensureBuild() {
  // A deleted or moved source leaves its .js behind: prune it and rebuild what imported it.
  const pruned = pruneOrphans();
  if (pruned > 0 || sourcesNewerThanBuild()) {
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json'), '--pretty', 'false'], {
        cwd: root,
        stdio: 'pipe',
        encoding: 'utf8',
      });
    } catch (err) {
      const e = /** @type {{ stdout?: unknown, stderr?: unknown }} */ (err);
      if (typeof e.stdout === 'string' && e.stdout.trim()) throw new BuildError(e.stdout + (typeof e.stderr === 'string' ? e.stderr : ''));
      throw err;
    }
    fs.writeFileSync(stamp, new Date().toISOString() + '\n');
  }
  return path.join(root, 'build');
}

/**
 * Runs `main` and turns the errors a user causes (a TypeScript error, invalid config) into their
 * message on stderr and exit code 1, without a JavaScript stack trace. Anything else is a bug and
 * keeps its trace.
 *
 * @template T
 * @param {() => T} main
 * @returns {T}
 */
function runReportingUserErrors(main) {
  try {
    return main();
  } catch (e) {
    if (e instanceof Error && (e.name === 'BuildError' || e.name === 'ConfigError')) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

module.exports = { ensureBuild, root, runReportingUserErrors, BuildError };
