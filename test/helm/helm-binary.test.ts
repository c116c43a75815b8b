import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findHelm } from '../../lib/output/helm';

// The CommonJS module object itself (the `import * as` namespace has non-configurable getters).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fsModule: typeof fs = require('fs');
/** statSync without its overloads, so a fake can forward whatever arguments it got. */
type AnyStatSync = (p: fs.PathLike, ...rest: unknown[]) => fs.Stats | undefined;

describe('findHelm', () => {
  const saved = { HELM: process.env.HELM, PATH: process.env.PATH };
  afterEach(() => {
    jest.restoreAllMocks();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('$HELM wins', () => {
    process.env.HELM = '/opt/custom/helm';
    expect(findHelm()).toBe('/opt/custom/helm');
  });

  const tools = path.resolve(__dirname, '..', '..', '.tools', 'bin', 'helm');

  test('then <project root>/.tools/bin/helm', () => {
    delete process.env.HELM;
    process.env.PATH = '';
    const realStat = fsModule.statSync;
    const realAccess = fsModule.accessSync;
    // Pretend .tools/bin/helm is installed (whether or not it is here).
    jest
      .spyOn(fsModule, 'statSync')
      .mockImplementation((p: fs.PathLike, ...rest: unknown[]) =>
        (realStat as AnyStatSync)(path.resolve(String(p)) === tools ? process.execPath : p, ...rest),
      );
    jest
      .spyOn(fsModule, 'accessSync')
      .mockImplementation((p: fs.PathLike, mode?: number) => (path.resolve(String(p)) === tools ? undefined : realAccess(p, mode)));
    expect(findHelm()).toBe(tools);
  });

  test('then helm on PATH', () => {
    delete process.env.HELM;
    const pathDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-path-'));
    try {
      fs.writeFileSync(path.join(pathDir, 'helm'), '#!/bin/sh\n', { mode: 0o755 });
      process.env.PATH = pathDir;
      const realStat = fsModule.statSync;
      // Pretend .tools/bin/helm is absent (whether or not it is installed here).
      jest.spyOn(fsModule, 'statSync').mockImplementation((p: fs.PathLike, ...rest: unknown[]) => {
        if (path.resolve(String(p)) === tools) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return (realStat as AnyStatSync)(p, ...rest);
      });
      expect(findHelm()).toBe(path.join(pathDir, 'helm'));
    } finally {
      fs.rmSync(pathDir, { recursive: true, force: true });
    }
  });

  test('throws with install instructions when helm is nowhere', () => {
    delete process.env.HELM;
    process.env.PATH = '';
    jest.spyOn(fsModule, 'statSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    expect(() => findHelm()).toThrow(/Helm binary not found.*Run `npm run helm:install`/);
  });
});
