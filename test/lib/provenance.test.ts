import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/core/assets';
import { listFiles } from '../support/synth';

/**
 * Rendered files say where they come from ("rendered from <asset> by <function>"); those lines
 * must name a file that exists and a function defined next to it, or they mislead whoever
 * edits the output instead of its source.
 */
const dist = path.join(PROJECT_ROOT, 'dist');
const PROVENANCE = /[Rr]endered (?:from (\S+) by (\w+)|by (\w+) \((\S+)\))/g;

const found = listFiles(dist)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    [...fs.readFileSync(path.join(dist, f), 'utf8').matchAll(PROVENANCE)].map((m) => ({
      file: f,
      line: m[0],
      source: m[1] ?? m[4],
      fn: m[2] ?? m[3],
    })),
  );
const distinct = [...new Map(found.map((p) => [`${p.source} ${p.fn}`, p])).values()];

test('rendered files name their source', () => {
  expect(distinct.map((p) => `${p.fn} ${p.source}`).sort()).toEqual(
    expect.arrayContaining([
      'redisStartScript lib/constructs/data/assets/redis-start.sh',
      'renderInitScript lib/constructs/data/assets/postgres-init.sh',
      'renderPostgresqlConf lib/constructs/data/postgres-config.ts',
    ]),
  );
});

test.each(distinct.map((p) => [p.line, p] as const))('%s: the source exists and defines or fills it', (_line, p) => {
  const source = path.join(PROJECT_ROOT, p.source);
  expect([p.file, p.source, fs.existsSync(source)]).toEqual([p.file, p.source, true]);
  // The function is defined in the TypeScript file named, or in a TypeScript file next to the asset folder.
  const candidates = p.source.endsWith('.ts')
    ? [source]
    : fs
        .readdirSync(path.dirname(path.dirname(source)))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(path.dirname(path.dirname(source)), f));
  const definers = candidates.filter((f) => new RegExp(`export function ${p.fn}\\b`).test(fs.readFileSync(f, 'utf8')));
  expect([p.fn, definers.length]).toEqual([p.fn, 1]);
  if (!p.source.endsWith('.ts'))
    expect([p.fn, fs.readFileSync(definers[0], 'utf8').includes(path.relative(path.dirname(definers[0]), source))]).toEqual([p.fn, true]);
});
