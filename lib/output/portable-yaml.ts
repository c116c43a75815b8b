/**
 * YAML that YAML 1.1 readers (PyYAML, so Ansible and Checkov; go-yaml v2, so Helm and kubectl) and
 * YAML 1.2 readers load to the same objects.
 *
 * The `yaml` package with `version: '1.1'` (what cdk8s writes manifests with) already quotes most
 * strings a YAML 1.1 reader would retype ('yes', 'off', 'y', '0755', '1:30', '~', '.inf', ...), but
 * not the 1.1 "value" and "merge" keys `=` and `<<` (PyYAML cannot load a plain `=`), nor strings
 * only YAML 1.2 retypes (`0o17`). {@link portableStringify} double-quotes every string whose plain
 * form either version (or PyYAML's resolvers) would load as anything but that string.
 */
import * as fs from 'fs';
import { App, Yaml } from 'cdk8s';
import * as YAML from 'yaml';
import { FastYamlStringRules, fastYamlStringify } from './fast-yaml-stringify';

/** The options cdk8s writes manifests with (cdk8s/lib/yaml.js), plus no anchors/aliases for shared objects. */
export const PORTABLE_YAML_OPTIONS = { keepUndefined: true, lineWidth: 0, version: '1.1', aliasDuplicateObjects: false } as const;

const MERGE_TAG = 'tag:yaml.org,2002:merge';

// PyYAML's implicit resolvers (yaml/resolver.py), which differ in places from the YAML 1.1 schema of the `yaml` package.
const PYYAML_IMPLICIT: readonly RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)?(?:[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)$/,
  /^(?:=)$/,
];

const PLAIN_WORD = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
/** The YAML 1.1 and 1.2 booleans and nulls, and the 1.1 float 'e5' (yaml-1.1/float.js), the typed scalars that start with a letter (the others start with a digit, a sign, '.', '~', '<' or '='). */
const TYPED_WORD = /^(?:[eE]-?[0-9]+|[yYnN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

/** Verdicts of {@link isAmbiguousPlain} for short tokens (labels, keys and names repeat across thousands of objects). */
const AMBIGUOUS_CACHE = new Map<string, boolean>();
const AMBIGUOUS_CACHE_LIMIT = 100_000;

/** Whether the plain (unquoted) form of a string would load as something else under YAML 1.1, YAML 1.2 or PyYAML. */
export function isAmbiguousPlain(s: string): boolean {
  // Most strings are names and label values: a letter, then letters, digits, '-', '_', '.'. Of those only
  // the boolean and null words load as anything but a string, in either version or in PyYAML.
  if (PLAIN_WORD.test(s) && !TYPED_WORD.test(s)) return false;
  if (PYYAML_IMPLICIT.some((re) => re.test(s))) return true;
  // Only short single-line tokens can be retyped scalars; anything else the writer already quotes as needed.
  if (!/^[-+.~=<0-9a-zA-Z_:]{1,64}$/.test(s)) return false;
  const cached = AMBIGUOUS_CACHE.get(s);
  if (cached !== undefined) return cached;
  let ambiguous: boolean;
  try {
    ambiguous = YAML.parse(s, { version: '1.1' }) !== s || YAML.parse(s, { version: '1.2' }) !== s;
  } catch {
    ambiguous = false;
  }
  if (AMBIGUOUS_CACHE.size >= AMBIGUOUS_CACHE_LIMIT) AMBIGUOUS_CACHE.clear();
  AMBIGUOUS_CACHE.set(s, ambiguous);
  return ambiguous;
}

/** `YAML.stringify(value, options)`, with every {@link isAmbiguousPlain ambiguous} string double-quoted. */
export function portableStringify(
  value: unknown,
  opts: YAML.DocumentOptions & YAML.SchemaOptions & YAML.CreateNodeOptions & YAML.ToStringOptions = PORTABLE_YAML_OPTIONS,
): string {
  const rules = fastRules(opts);
  return (rules && fastYamlStringify(value, rules)) ?? yamlPortableStringify(value, opts);
}

/** {@link portableStringify} through the `yaml` package's document model (the reference the fast writer must equal). */
export function yamlPortableStringify(
  value: unknown,
  opts: YAML.DocumentOptions & YAML.SchemaOptions & YAML.CreateNodeOptions & YAML.ToStringOptions = PORTABLE_YAML_OPTIONS,
): string {
  const options = portableOptions(opts);
  const doc = new YAML.Document(value, options);
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && isAmbiguousPlain(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(options);
}

// The 1.1 schema writes the string '<<' as a plain merge key whatever its quoting: without the merge tag it is an ordinary string.
function portableOptions(opts: YAML.DocumentOptions & YAML.SchemaOptions & YAML.CreateNodeOptions & YAML.ToStringOptions) {
  return { customTags: (tags: YAML.Tags) => tags.filter((t) => typeof t === 'string' || t.tag !== MERGE_TAG), ...opts };
}

/** The options the fast writer reproduces (lib/output/fast-yaml-stringify.ts); keepUndefined only matters for undefined, which it leaves to yaml. */
const FAST_OPTION_KEYS = new Set(['keepUndefined', 'lineWidth', 'version', 'aliasDuplicateObjects']);
const FAST_RULES = new WeakMap<object, FastYamlStringRules | null>();

/** The fast writer's string rules for these options (the schema's own tag tests), or null when it does not reproduce them. */
function fastRules(opts: YAML.DocumentOptions & YAML.SchemaOptions & YAML.CreateNodeOptions & YAML.ToStringOptions) {
  const known = FAST_RULES.get(opts);
  if (known !== undefined) return known;
  let rules: FastYamlStringRules | null = null;
  if (
    Object.keys(opts).every((k) => FAST_OPTION_KEYS.has(k)) &&
    opts.lineWidth === 0 &&
    opts.version === '1.1' &&
    opts.aliasDuplicateObjects === false
  ) {
    // plainString's check: a tag other than str whose test matches the plain text makes yaml quote it.
    const schema = new YAML.Document(null, portableOptions(opts)).schema;
    const tests = [...schema.tags, ...(schema.compat ?? [])]
      .filter((t) => t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test)
      .map((t) => t.test!);
    rules = { forceDoubleQuote: isAmbiguousPlain, resolvesAsNonString: (s) => tests.some((re) => re.test(s)) };
  }
  FAST_RULES.set(opts, rules);
  return rules;
}

/**
 * `app.synth()`, with every manifest written by {@link portableStringify} in the first place.
 *
 * cdk8s writes each file through the static `Yaml.save`, which has no option for the quoting; this
 * replaces it for the duration of the call (restored afterwards, also on error). Everything else
 * (validation, chart dependencies, file naming, object order) stays cdk8s's own. The result equals
 * `app.synth()` followed by re-reading each file and writing its objects with {@link portableStringify},
 * without writing the YAML twice and parsing it back (that round trip was a third of the synth time).
 * @param onWrite called with each file written, the objects (documents) it holds and its text
 */
export function synthPortable(app: App, onWrite?: (filePath: string, docs: readonly unknown[], text: string) => void): void {
  const save = Object.getOwnPropertyDescriptor(Yaml, 'save');
  if (!save || typeof save.value !== 'function')
    throw new Error('synthPortable: cdk8s Yaml.save not found; this cdk8s version is not supported');
  Object.defineProperty(Yaml, 'save', {
    ...save,
    value: (filePath: string, docs: unknown[]) => {
      const text = docs.map((d) => (d === undefined ? '\n' : portableStringify(d))).join('---\n');
      fs.writeFileSync(filePath, text, { encoding: 'utf8' });
      onWrite?.(filePath, docs, text);
    },
  });
  try {
    app.synth();
  } finally {
    Object.defineProperty(Yaml, 'save', save);
  }
}
