import { CliOptions, DEFAULT_FIELD_MANAGER, DEFAULT_TIMEOUT_MS, parseArgs, usage } from '../../cli/args';
import { formatDuration, parseDuration } from '../../cli/duration';
import { UsageError } from '../../cli/errors';

const ENVS = ['dev', 'prod'];
const run = (...argv: string[]): CliOptions => {
  const parsed = parseArgs(argv, ENVS);
  if (parsed.kind !== 'run') throw new Error('expected a command, got help');
  return parsed.options;
};

describe('parseArgs', () => {
  test('deploy with defaults', () => {
    expect(run('deploy', 'dev')).toEqual({
      command: 'deploy',
      env: 'dev',
      stacks: [],
      dryRun: false,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      context: undefined,
      kubeconfig: undefined,
      force: false,
      fieldManager: DEFAULT_FIELD_MANAGER,
      forceConflicts: true,
      distDir: undefined,
    });
  });

  test('every deploy flag, in = and space forms', () => {
    expect(
      run(
        'deploy',
        'prod',
        '--stack',
        'wondernest',
        '--stack=pagodirecto,ecommerce',
        '--dry-run=server',
        '--timeout',
        '10m',
        '--context=arn:aws:eks:eu-west-1:123456789012:cluster/backends-prod',
        '--kubeconfig',
        '/tmp/kc',
        '--force',
        '--field-manager=ci',
        '--no-force-conflicts',
        '--dist',
        'out',
      ),
    ).toEqual({
      command: 'deploy',
      env: 'prod',
      stacks: ['wondernest', 'pagodirecto', 'ecommerce'],
      dryRun: true,
      timeoutMs: 600_000,
      context: 'arn:aws:eks:eu-west-1:123456789012:cluster/backends-prod',
      kubeconfig: '/tmp/kc',
      force: true,
      fieldManager: 'ci',
      forceConflicts: false,
      distDir: 'out',
    });
  });

  test('flags may come before the environment; --dry-run server works too', () => {
    expect(run('status', '--stack', 'wondernest', 'dev')).toMatchObject({ command: 'status', env: 'dev', stacks: ['wondernest'] });
    expect(run('deploy', '--dry-run', 'server', 'dev')).toMatchObject({ dryRun: true, env: 'dev' });
  });

  test('help', () => {
    const help = parseArgs(['--help'], ENVS);
    expect(help.kind).toBe('help');
    expect(help.kind === 'help' && help.text).toContain('deploy <dev|prod> [flags]');
    const deployHelp = parseArgs(['deploy', '-h'], ENVS);
    expect(deployHelp.kind === 'help' && deployHelp.text).toContain('--timeout <duration>');
    expect(deployHelp.kind === 'help' && deployHelp.text).not.toContain('status flags');
  });

  test.each([
    [[], 'missing command; allowed: deploy, status, diff'],
    [['apply', 'dev'], "unknown command 'apply'; allowed: deploy, status, diff"],
    [['deploy'], 'missing <env> for deploy; allowed: dev, prod'],
    [['deploy', 'staging'], "unknown environment 'staging'; allowed: dev, prod"],
    [['deploy', 'dev', 'prod'], "unexpected argument 'prod' for deploy; usage: deploy <env> [flags]"],
    [
      ['deploy', 'dev', '--wait'],
      "unknown flag '--wait' for deploy; allowed: --stack, --context, --kubeconfig, --force, --dist, --dry-run, --timeout, --field-manager, --no-force-conflicts",
    ],
    [['deploy', 'dev', '-f'], "unknown flag '-f' for deploy; allowed: --stack"],
    [
      ['status', 'dev', '--dry-run=server'],
      "unknown flag '--dry-run' for status; allowed: --stack, --context, --kubeconfig, --force, --dist",
    ],
    [['status', 'dev', '--timeout', '5m'], "unknown flag '--timeout' for status"],
    [['deploy', 'dev', '--dry-run=client'], "--dry-run: got 'client'; allowed: server"],
    [['deploy', 'dev', '--dry-run'], '--dry-run needs a value: write --dry-run=server'],
    [['deploy', 'dev', '--timeout'], '--timeout needs a value (<duration>)'],
    [['deploy', 'dev', '--timeout', '--force'], '--timeout needs a value (<duration>)'],
    [['deploy', 'dev', '--timeout', '300'], "--timeout: got '300'; expected a duration with a unit, such as 90s, 5m or 1h30m"],
    [['deploy', 'dev', '--timeout=5x'], "--timeout: got '5x'; expected a duration with a unit"],
    [['deploy', 'dev', '--timeout=0s'], "--timeout: got '0s'; expected a duration greater than zero"],
    [['deploy', 'dev', '--timeout=5m', '--timeout=6m'], '--timeout given more than once'],
    [['deploy', 'dev', '--force=yes'], "--force takes no value (got '--force=yes')"],
    [['deploy', 'dev', '--stack='], '--stack needs a stack name (got an empty one)'],
    [['deploy', 'dev', '--stack', 'a,,b'], '--stack needs a stack name'],
    [['deploy', 'dev', '--context='], '--context needs a non-empty value'],
    [
      ['deploy', 'dev', '--field-manager', 'my manager'],
      "--field-manager: got 'my manager'; expected at most 128 printable characters without spaces",
    ],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseArgs(argv, ENVS)).toThrow(UsageError);
    expect(() => parseArgs(argv, ENVS)).toThrow(message);
  });

  // node:util parseArgs reads the flags (strict); its own refusals come out as the messages above.
  test.each([
    [['deploy', 'dev', '--wait=5'], "unknown flag '--wait' for deploy; allowed: --stack"],
    [['deploy', 'dev', '--dry-run', '--force'], '--dry-run needs a value: write --dry-run=server'],
    [['deploy', 'dev', '--stack', '-x'], '--stack needs a value (<name>)'],
    [['status', 'dev', '--force', '--force'], '--force given more than once'],
    [['status', 'dev', '--help=yes'], "--help takes no value (got '--help=yes')"],
    [['deploy', 'dev', '--', '--force'], "unexpected argument '--force' for deploy"],
  ])('%j is refused by the flag reader: %s', (argv, message) => {
    expect(() => parseArgs(argv, ENVS)).toThrow(UsageError);
    expect(() => parseArgs(argv, ENVS)).toThrow(message);
  });

  test('repeated and comma-separated --stack are merged without duplicates; -- ends the flags', () => {
    expect(run('status', 'dev', '--stack=a', '--stack', 'b, c', '--stack', 'a').stacks).toEqual(['a', 'b', 'c']);
    expect(run('deploy', '--', 'dev')).toMatchObject({ command: 'deploy', env: 'dev' });
  });

  test('-h or --help anywhere after the command asks for the help of that command', () => {
    for (const argv of [
      ['status', 'dev', '-h'],
      ['status', '--stack', 'a', '--help'],
      ['status', 'dev', '--wait', '--help'],
    ]) {
      const parsed = parseArgs(argv, ENVS);
      expect(parsed.kind === 'help' && parsed.text).toContain('status flags:');
      expect(parsed.kind === 'help' && parsed.text).not.toContain('deploy flags:');
    }
  });

  test('usage lists every command and its flags', () => {
    const text = usage(ENVS);
    for (const c of ['deploy <dev|prod>', 'status <dev|prod>', 'diff <dev|prod>', '--dry-run=server', '--no-force-conflicts', 'Exit codes'])
      expect(text).toContain(c);
  });
});

describe('durations', () => {
  test.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2m500ms', 120_500],
  ])('parseDuration(%s) = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '5', '5x', 'm', '1.5m', '-5m', '5m1h', '0m'])('parseDuration(%j) throws', (text) => {
    expect(() => parseDuration(text)).toThrow(/expected a duration/);
  });

  test('formatDuration', () => {
    expect([0, 1500, 45_000, 72_000, 3_600_000, 3_725_000].map(formatDuration)).toEqual(['0s', '1.5s', '45s', '1m12s', '1h0m0s', '1h2m5s']);
  });
});
