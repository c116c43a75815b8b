import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assetPath, fillTemplate, includeAssetLines, renderAsset, renderAssetWithIncludes } from '../../lib/core/asset-template';
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

describe('renderAssetWithIncludes and includeAssetLines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-includes-'));
  const rel = path.relative(PROJECT_ROOT, dir);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write('assets/main.sh', '#!/bin/sh\n# @include include/a.sh\necho "@greeting@"\n');
    write('assets/include/a.sh', '# shellcheck shell=sh\n# shellcheck disable=SC2034 # for the includer\na() { :; }\n# @include b.sh\n');
    write('assets/include/b.sh', 'b() { echo @who@; }\n# shellcheck disable=SC2086 # kept: not at the top\n');
    write('assets/inline.sh', "x=$(awk '@program@')\n");
    write('assets/loop.sh', '# @include include/loop-a.sh\n');
    write('assets/include/loop-a.sh', '# @include loop-b.sh\n');
    write('assets/include/loop-b.sh', '# @include loop-a.sh\n');
    write('assets/self.sh', 'x\n# @include self.sh\n');
    write('assets/no-newline.sh', 'echo x');
    write('assets/includes-no-newline.sh', '# @include no-newline.sh\n');
    write('assets/missing-include.sh', 'x\n# @include include/nope.sh\n');
    write('assets/malformed.sh', 'x\n  # @include include/b.sh\n');
    write('assets/two-words.sh', '# @include include/b.sh include/a.sh\n');
  });

  test('replaces `# @include` lines by the file (recursively, relative to the including file) and fills the placeholders of all', () => {
    expect(renderAssetWithIncludes(dir, 'assets/main.sh', { greeting: 'hello', who: 'world' })).toBe(
      '#!/bin/sh\na() { :; }\nb() { echo world; }\n# shellcheck disable=SC2086 # kept: not at the top\necho "hello"\n',
    );
  });

  test('values are scanned neither for placeholders nor for includes', () => {
    expect(renderAssetWithIncludes(dir, 'assets/inline.sh', { program: '{ print }\n# @include include/b.sh\n@who@' })).toBe(
      "x=$(awk '{ print }\n# @include include/b.sh\n@who@')\n",
    );
  });

  test("a fragment's shellcheck directives at its top are left out where it is included, and when it is rendered on its own", () => {
    expect(renderAssetWithIncludes(dir, 'assets/include/a.sh', { who: 'x' })).toBe(
      'a() { :; }\nb() { echo x; }\n# shellcheck disable=SC2086 # kept: not at the top\n',
    );
  });

  test('includeAssetLines: the text shellcheck lints, placeholders as written, each line with its file and line', () => {
    const lines = includeAssetLines(dir, 'assets/include/a.sh');
    expect(lines.map((l) => `${l.source}:${l.line}: ${l.text}`)).toEqual([
      `${rel}/assets/include/a.sh:1: # shellcheck shell=sh`,
      `${rel}/assets/include/a.sh:2: # shellcheck disable=SC2034 # for the includer`,
      `${rel}/assets/include/a.sh:3: a() { :; }`,
      `${rel}/assets/include/b.sh:1: b() { echo @who@; }`,
      `${rel}/assets/include/b.sh:2: # shellcheck disable=SC2086 # kept: not at the top`,
    ]);
  });

  test('a placeholder without a value is named by the file and line it is written on, an unused value by the asset', () => {
    expect(() => renderAssetWithIncludes(dir, 'assets/main.sh', { greeting: 'hello' })).toThrow(
      `${rel}/assets/include/b.sh:1: placeholder @who@ has no value; expected a value for it (given: @greeting@)`,
    );
    expect(() => renderAssetWithIncludes(dir, 'assets/main.sh', { greeting: 'hello', who: 'w', extra: 'x' })).toThrow(
      `${rel}/assets/main.sh: @extra@ not found; expected every value to fill a placeholder of the template`,
    );
  });

  test.each([
    [
      'an include cycle',
      'assets/loop.sh',
      `${rel}/assets/include/loop-b.sh:1: includes loop-a.sh within itself (${rel}/assets/loop.sh -> ${rel}/assets/include/loop-a.sh -> ${rel}/assets/include/loop-b.sh -> ${rel}/assets/include/loop-a.sh); expected includes without cycles`,
    ],
    ['a file including itself', 'assets/self.sh', `${rel}/assets/self.sh:2: includes self.sh within itself`],
    [
      'a file without a final newline',
      'assets/no-newline.sh',
      `${rel}/assets/no-newline.sh: does not end with a newline; expected a text file ending with one`,
    ],
    [
      'an included file without a final newline',
      'assets/includes-no-newline.sh',
      `${rel}/assets/no-newline.sh: does not end with a newline`,
    ],
    [
      'a missing include',
      'assets/missing-include.sh',
      `${rel}/assets/missing-include.sh:2: includes include/nope.sh, which does not exist (${rel}/assets/include/nope.sh)`,
    ],
    [
      'an indented include',
      'assets/malformed.sh',
      `${rel}/assets/malformed.sh:2: "  # @include include/b.sh" looks like an include; expected '# @include <path>' alone on the line`,
    ],
    [
      'an include of two paths',
      'assets/two-words.sh',
      `${rel}/assets/two-words.sh:1: "# @include include/b.sh include/a.sh" looks like an include`,
    ],
  ])('refuses %s', (_what, file, message) => {
    expect(() => renderAssetWithIncludes(dir, file, { who: 'x' })).toThrow(message);
    expect(() => includeAssetLines(dir, file)).toThrow(message);
  });
});
