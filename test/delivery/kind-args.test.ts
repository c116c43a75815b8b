import { parseKindDownArgs, parseKindUpArgs, UsageError } from '../../lib/delivery';

describe('kind:up arguments', () => {
  test('defaults', () => {
    expect(parseKindUpArgs([])).toEqual({ env: 'dev', timeout: '10m', dryRun: false, forceConflicts: false, help: false });
  });

  test('every flag, with separate or inline values', () => {
    expect(parseKindUpArgs(['--env', 'local', '--timeout=90s', '--dry-run', '--force-conflicts'])).toEqual({
      env: 'local',
      timeout: '90s',
      dryRun: true,
      forceConflicts: true,
      help: false,
    });
    expect(parseKindUpArgs(['-h']).help).toBe(true);
  });

  test.each([
    [['--bogus'], /unknown argument '--bogus'\n\nUsage: npm run kind:up/],
    [['--timeout', '10 minutes'], /--timeout: got '10 minutes'; expected a duration such as '90s', '10m' or '1h'/],
    [['--timeout'], /--timeout: missing value/],
    [['--timeout', '1d'], /--timeout: got '1d'; expected a duration such as '90s', '10m' or '1h'/], // helm/kubectl: Go durations, no days
    [['--timeout', '0s'], /--timeout: got '0s'; expected a duration/],
    [['--env', 'Dev'], /--env: got 'Dev'; expected an environment name/],
    [['--env', 'e'.repeat(64)], /--env: got 'e{64}'; expected an environment name/],
    [['--dry-run=yes'], /--dry-run takes no value \(got 'yes'\)/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseKindUpArgs(argv)).toThrow(UsageError);
    expect(() => parseKindUpArgs(argv)).toThrow(message);
  });
});

describe('kind:down arguments', () => {
  test('defaults and flags', () => {
    expect(parseKindDownArgs([])).toEqual({ env: 'dev', dryRun: false, help: false });
    expect(parseKindDownArgs(['--env=dev', '--dry-run'])).toEqual({ env: 'dev', dryRun: true, help: false });
  });

  test('rejects unknown arguments with the usage', () => {
    expect(() => parseKindDownArgs(['--force'])).toThrow(/unknown argument '--force'\n\nUsage: npm run kind:down/);
  });
});
