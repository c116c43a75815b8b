/**
 * `node scripts/cli.js` (behind `npm run deploy|status|diff`): builds only when a source changed,
 * runs build/cli/main.js once with the arguments, and reports a TypeScript error as tsc's message
 * alone. Speed is measured by `npm run bench`, not here.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from './support/run-cli';

jest.setTimeout(180_000);

const launcher = path.join(PROJECT_ROOT, 'scripts', 'cli.js');
/** The launcher in the project (HOME in a temp folder: no ~/.kube/config leaks in). */
const cli = (args: string[]) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-launcher-home-'));
  try {
    return spawnSync(process.execPath, [launcher, ...args], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: home },
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
};

test('status --help: exit 0 with the usage of status', () => {
  const r = cli(['status', '--help']);
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(r.stdout).toMatch(/^Usage:\n {2}status <dev\|prod> \[flags\]/);
  expect(r.stdout).toContain('status flags:');
  expect(r.stdout).toContain('--stack <name>');
  expect(r.stdout).not.toContain('deploy flags:');
});

test('an unknown flag: exit 2, naming the flag and the allowed ones', () => {
  const r = cli(['status', 'dev', '--wait']);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(
    "error: unknown flag '--wait' for status; allowed: --stack, --context, --kubeconfig, --force, --dist\n(run with --help for usage)\n",
  );
});

test("a TypeScript error prints tsc's message without a stack trace; fixed, main runs once with the arguments", () => {
  // A throwaway project with the real launcher and ensure-build script.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-tsc-error-'));
  try {
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.mkdirSync(path.join(dir, 'cli'));
    for (const f of ['cli.js', 'ensure-build.js']) fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', f), path.join(dir, 'scripts', f));
    fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x","private":true}');
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'commonjs', target: 'ES2022', outDir: 'build', rootDir: '.', types: ['node'] },
        include: ['main.ts', 'cli/**/*.ts'],
      }),
    );
    fs.writeFileSync(path.join(dir, 'main.ts'), 'export {};\n');
    const mainTs = (body: string): void =>
      fs.writeFileSync(
        path.join(dir, 'cli', 'main.ts'),
        `export async function main(argv: readonly string[]): Promise<number> {\n${body}\n}\n` +
          'if (require.main === module) void main(process.argv.slice(2));\n',
      );
    mainTs("  const n: number = 'x';\n  return n;");
    const broken = spawnSync(process.execPath, [path.join(dir, 'scripts', 'cli.js'), 'status'], { cwd: dir, encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(
      /^TypeScript errors \(npx tsc -p tsconfig.json\):\ncli\/main.ts\(2,9\): error TS2322: Type 'string' is not assignable to type 'number'\.\n$/,
    );

    mainTs("  console.log('main ' + argv.join(' '));\n  return argv.length;");
    const fixed = spawnSync(process.execPath, [path.join(dir, 'scripts', 'cli.js'), 'status', 'dev', '--x'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect([fixed.status, fixed.stdout, fixed.stderr]).toEqual([3, 'main status dev --x\n', '']);
    // Nothing changed: no rebuild (the stamp stays), same result.
    const stamp = fs.statSync(path.join(dir, 'build', '.stamp')).mtimeMs;
    execFileSync(process.execPath, [path.join(dir, 'scripts', 'cli.js')], { cwd: dir });
    expect(fs.statSync(path.join(dir, 'build', '.stamp')).mtimeMs).toBe(stamp);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
