import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PLATFORMS } from '../config';
import { STACK_MODULES, STACKS } from '../charts';
import * as registry from '../charts/stacks';
import { ConfigError } from '../lib/config/config-error';
import { composeEnvironments, PlatformValues } from '../lib/config/environment';
import { defineStack, StackModule } from '../lib/config/stack-module';
import { Doc } from './support/doc';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A registered module with its values replaced per environment. */
function withValues(module: StackModule, edit: (env: string, values: Doc) => void): StackModule {
  const environments = Object.fromEntries(
    Object.entries(module.environments).map(([env, v]) => {
      const values = clone(v.values);
      edit(env, values);
      return [env, { file: v.file, values }];
    }),
  );
  return { ...module, environments };
}

function composeError(platforms: Record<string, PlatformValues>, stacks: readonly StackModule[]): ConfigError {
  try {
    composeEnvironments(platforms, stacks);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('the environments were accepted');
}

describe('environments composed from config/ and the stack folders', () => {
  test('the registry is charts/stacks.ts, in its order', () => {
    expect(STACK_MODULES.map((s) => s.name)).toEqual(Object.keys(registry));
    expect(STACKS.map((s) => s.name)).toEqual(Object.keys(registry));
    // The first stacks keep their place (output order; a new stack is appended).
    expect(STACKS.map((s) => s.name).slice(0, 2)).toEqual(['wondernest', 'pagodirecto']);
  });

  test('each stack names the files its values come from', () => {
    for (const m of STACK_MODULES) {
      expect(m.environments.dev.file).toBe(`charts/${m.name}/dev.ts`);
      expect(m.environments.prod.file).toBe(`charts/${m.name}/prod.ts`);
    }
  });

  test('every problem of every file of every environment in one error, each naming its file', () => {
    const platforms = clone(PLATFORMS) as Record<string, PlatformValues>;
    (platforms.prod.values as Doc).ingress.controllerNamespace = 'Traefik';
    (platforms.dev.values as Doc).tls.issuer = 'vault';
    const [wondernest, pagodirecto] = STACK_MODULES;
    const stacks = [
      withValues(wondernest, (env, v) => {
        if (env === 'dev') v.api.replicas = -1;
      }),
      withValues(pagodirecto, (env, v) => {
        if (env === 'prod') v.backups.bucket = 'Backups_Prod';
      }),
    ];
    const e = composeError(platforms, stacks);
    expect(e.issues).toHaveLength(4);
    expect(e.message).toMatch(/^Invalid configuration 'environments dev, prod' \(4 problems\):\n/);
    expect(e.message).toContain("\n  - config/dev.ts: tls.issuer: got \"vault\"; expected one of 'local-ca', 'letsencrypt'");
    expect(e.message).toContain('\n  - charts/wondernest/dev.ts: api.replicas: got -1; expected an integer >= 0');
    expect(e.message).toContain('\n  - config/prod.ts: ingress.controllerNamespace: got "Traefik"; expected a DNS-1123 label');
    expect(e.message).toContain('\n  - charts/pagodirecto/prod.ts: backups.bucket: got "Backups_Prod"; expected an S3 bucket name');
  });

  test('a rule that needs the platform names the stack file and the field as written there', () => {
    const [wondernest, ...rest] = STACK_MODULES;
    const enablePgadmin = (v: Doc): void => {
      v.pgadmin.enabled = true;
      v.pgadmin.storage = { size: '1Gi', storageClassName: 'gp3-encrypted' };
    };
    const e = composeError(PLATFORMS, [withValues(wondernest, (env, v) => env === 'prod' && enablePgadmin(v)), ...rest]);
    expect(e.message).toContain('charts/wondernest/prod.ts: pgadmin.enabled: got true; expected false: pgadmin is a development tool');
  });

  test('a stack without values for an environment is named', () => {
    const [wondernest, ...rest] = STACK_MODULES;
    const devOnly = { ...wondernest, environments: { dev: wondernest.environments.dev } };
    const e = composeError(PLATFORMS, [devOnly, ...rest]);
    expect(e.message).toContain(
      "charts/wondernest/index.ts: stacks.wondernest: got nothing; expected a required value: the wondernest stack's block for this environment",
    );
  });

  test('a stack name must be a DNS label', () => {
    expect(() => defineStack({ ...STACK_MODULES[0], name: 'Shop_1' })).toThrow("stack name 'Shop_1': expected a DNS-1123 label");
  });
});

describe('user errors at synth: the message, exit 1, no stack trace', () => {
  const ensureBuildModule = path.resolve(__dirname, '../scripts/ensure-build.js');

  test('invalid config prints the ConfigError message only', () => {
    const script = `require(${JSON.stringify(ensureBuildModule)}).runReportingUserErrors(() => {
      const e = new Error("Invalid configuration 'x' (1 problem):\\n  - config/dev.ts: a: got 1; expected 2"); e.name = 'ConfigError'; throw e; })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("Invalid configuration 'x' (1 problem):\n  - config/dev.ts: a: got 1; expected 2\n");
  });

  test('a bug keeps its stack trace', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(ensureBuildModule)}).runReportingUserErrors(() => { throw new TypeError('boom'); })`],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/TypeError: boom\n\s+at /);
  });

  test("a TypeScript error in a config file shows the compiler's message", () => {
    // A throwaway project with the real ensure-build script: config/dev.ts has an unknown key.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-error-'));
    try {
      fs.mkdirSync(path.join(dir, 'scripts'));
      fs.mkdirSync(path.join(dir, 'config'));
      fs.copyFileSync(ensureBuildModule, path.join(dir, 'scripts', 'ensure-build.js'));
      fs.symlinkSync(path.resolve(__dirname, '../node_modules'), path.join(dir, 'node_modules'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x","private":true}');
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, outDir: 'build', rootDir: '.', types: [] },
          include: ['main.ts', 'config/**/*.ts'],
        }),
      );
      fs.writeFileSync(path.join(dir, 'main.ts'), "export { dev } from './config/dev';\n");
      fs.writeFileSync(
        path.join(dir, 'config', 'dev.ts'),
        'interface Api { replicas: number }\nexport const dev: Api = { replicas: 1, replica: 2 };\n',
      );
      const script = "require('./scripts/ensure-build').runReportingUserErrors(() => require('./scripts/ensure-build').ensureBuild())";
      const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^TypeScript errors \(npx tsc -p tsconfig.json\):\nconfig\/dev.ts\(2,40\): error TS2561: Object literal may only specify known properties, but 'replica' does not exist in type 'Api'\. Did you mean to write 'replicas'\?\n$/,
      );
      // Fixed, it builds.
      fs.writeFileSync(
        path.join(dir, 'config', 'dev.ts'),
        'interface Api { replicas: number }\nexport const dev: Api = { replicas: 1 };\n',
      );
      execFileSync(process.execPath, ['-e', script], { cwd: dir });
      expect(fs.existsSync(path.join(dir, 'build', 'config', 'dev.js'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a compiled file whose source is gone is pruned (it would shadow a stack folder)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-'));
    try {
      fs.mkdirSync(path.join(dir, 'scripts'));
      fs.mkdirSync(path.join(dir, 'charts', 'shop'), { recursive: true });
      fs.copyFileSync(ensureBuildModule, path.join(dir, 'scripts', 'ensure-build.js'));
      fs.symlinkSync(path.resolve(__dirname, '../node_modules'), path.join(dir, 'node_modules'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x","private":true}');
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { outDir: 'build', rootDir: '.', types: [] }, include: ['main.ts', 'charts/**/*.ts'] }),
      );
      fs.writeFileSync(path.join(dir, 'main.ts'), "export { name } from './charts/shop';\n");
      fs.writeFileSync(path.join(dir, 'charts', 'shop', 'index.ts'), "export const name = 'folder';\n");
      fs.mkdirSync(path.join(dir, 'build', 'charts'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'build', 'charts', 'shop.js'), "exports.name = 'stale file';\n");
      const out = execFileSync(
        process.execPath,
        ['-e', "const b = require('./scripts/ensure-build').ensureBuild(); console.log(require(b + '/main.js').name)"],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(out.trim()).toBe('folder');
      expect(fs.existsSync(path.join(dir, 'build', 'charts', 'shop.js'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
