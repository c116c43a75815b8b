import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assetPath, fillTemplate, renderAsset } from '../../lib/core/asset-template';
import { PROJECT_ROOT } from '../../lib/core/assets';

describe('fillTemplate', () => {
  test('replaces inline placeholders, every occurrence, verbatim', () => {
    expect(fillTemplate("AUTH_FILE='@auth@'\nexec x '@auth@' @port@\n", { auth: '/run/a b', port: '6379' }, 't')).toBe(
      "AUTH_FILE='/run/a b'\nexec x '/run/a b' 6379\n",
    );
  });

  test('a string value may span lines', () => {
    expect(fillTemplate('a\n@body@\nz', { body: 'b\nc' }, 't')).toBe('a\nb\nc\nz');
  });

  test('lines replace a line holding only the placeholder; none removes it', () => {
    expect(fillTemplate('a\n  @rows@  \nz', { rows: ['b', 'c'] }, 't')).toBe('a\nb\nc\nz');
    expect(fillTemplate('a\n@rows@\nz', { rows: [] }, 't')).toBe('a\nz');
  });

  test('values are not re-scanned for placeholders', () => {
    expect(fillTemplate('@a@ @b@', { a: '@b@', b: 'x' }, 't')).toBe('@b@ x');
    expect(fillTemplate('@a@', { a: ['@a@'] }, 't')).toBe('@a@');
  });

  test('text that only looks like a placeholder is kept: $@, @>, e-mail addresses', () => {
    const text = 'exec redis-server "$CONFIG" "$@"\nSELECT a @> b;\nops@example.com\n';
    expect(fillTemplate(text, {}, 't')).toBe(text);
  });

  test('a placeholder without a value is an error naming the source, line and the values given', () => {
    expect(() => fillTemplate('a\n@port@\n', { dir: '/data' }, 'assets/x.conf')).toThrow(
      'assets/x.conf:2: placeholder @port@ has no value; expected a value for it (given: @dir@)',
    );
  });

  test('an unused value is an error (the asset and its filler drifted apart)', () => {
    expect(() => fillTemplate('port @port@', { port: '1', dir: '/data', log: 'x' }, 'assets/x.conf')).toThrow(
      'assets/x.conf: @dir@, @log@ not found; expected every value to fill a placeholder of the template',
    );
  });

  test('lines standing inside a line are an error', () => {
    expect(() => fillTemplate('x @rows@', { rows: ['a'] }, 'assets/x.sql')).toThrow(
      'assets/x.sql:1: placeholder @rows@ takes lines but stands inside a line',
    );
  });

  test('rejects value names that cannot be placeholders', () => {
    expect(() => fillTemplate('x', { 'Bad-Name': 'v' }, 't')).toThrow(/value name "Bad-Name"; expected a placeholder name matching/);
  });
});

describe('renderAsset', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-template-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads the asset next to the module and fills it', () => {
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'assets', 'hello.txt'), 'hello @who@\n');
    expect(renderAsset(dir, 'assets/hello.txt', { who: 'world' })).toBe('hello world\n');
  });

  test('errors name the asset by its project path', () => {
    fs.writeFileSync(path.join(dir, 'bad.txt'), '@nope@');
    expect(() => renderAsset(dir, 'bad.txt', {})).toThrow(`${path.relative(PROJECT_ROOT, dir)}/bad.txt:1: placeholder @nope@ has no value`);
    expect(assetPath(dir, 'bad.txt')).toBe(`${path.relative(PROJECT_ROOT, dir)}/bad.txt`);
  });

  test('a missing asset is an error naming it', () => {
    expect(() => renderAsset(os.tmpdir(), 'assets/none.sh', {})).toThrow(/asset not found: .*assets\/none\.sh/);
  });
});
