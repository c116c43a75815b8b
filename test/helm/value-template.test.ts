import { parseJsonPointer, resolveJsonPointer, ValueTemplate } from '../../lib/output/helm';

describe('ValueTemplate', () => {
  const image = ValueTemplate.parse('{repository}:{tag}', ['repository', 'tag']);

  test('splits with earlier placeholders taking as much as possible', () => {
    expect(image.split('nginx:1.27')).toEqual({ repository: 'nginx', tag: '1.27' });
    expect(image.split('registry:5000/team/api:1.2.3')).toEqual({ repository: 'registry:5000/team/api', tag: '1.2.3' });
  });

  test('returns undefined when the value does not match', () => {
    expect(image.split('nginx')).toBeUndefined();
    expect(image.split('nginx:')).toBeUndefined();
    expect(image.split(':1.0')).toBeUndefined();
  });

  test('escapes regex characters in literals and supports a repeated placeholder', () => {
    const t = ValueTemplate.parse('https://{host}.example.com/{path}?h={host}', ['host', 'path']);
    expect(t.split('https://a.b.example.com/x/y?h=a.b')).toEqual({ host: 'a.b', path: 'x/y' });
    expect(t.split('https://a.example.com/x?h=b')).toBeUndefined();
    expect(t.split('https://aXexampleYcom/x?h=a')).toBeUndefined();
  });

  test('renders a printf expression with % escaped and Go string quoting', () => {
    const t = ValueTemplate.parse('{a}% of "{b}"', ['a', 'b']);
    expect(t.toPrintf((p) => `.Values.${p}`)).toBe('printf "%s%% of \\"%s\\"" .Values.a .Values.b');
  });
});

describe('JSON pointer', () => {
  const doc = { spec: { 'a/b': { '~x': [10, { y: null }] } } };

  test('parses RFC 6901 escapes', () => {
    expect(parseJsonPointer('/spec/a~1b/~0x/1/y')).toEqual(['spec', 'a/b', '~x', '1', 'y']);
  });

  test('resolves existing fields, including null values', () => {
    expect(resolveJsonPointer(doc, '/spec/a~1b/~0x/0')).toMatchObject({ key: 0, value: 10 });
    expect(resolveJsonPointer(doc, '/spec/a~1b/~0x/1/y')).toMatchObject({ key: 'y', value: null });
  });

  test.each(['/spec/missing', '/spec/a~1b/~0x/2', '/spec/a~1b/~0x/01', '/spec/a~1b/~0x/-', '/spec/a~1b/~0x/0/deeper'])(
    'returns undefined for %s',
    (p) => {
      expect(resolveJsonPointer(doc, p)).toBeUndefined();
    },
  );
});
