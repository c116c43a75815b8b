import * as YAML from 'yaml';
import { isAmbiguousPlain } from '../../lib/output/portable-yaml';

/**
 * Problems of a YAML text for YAML 1.1 readers: parse errors under either version, documents a YAML 1.1
 * read yields differently from a YAML 1.2 read, and plain (unquoted) strings that PyYAML's resolvers
 * would retype (e.g. `=`, which PyYAML cannot load, though the `yaml` package reads it as a string).
 */
export function yaml11Problems(text: string): string[] {
  const problems: string[] = [];
  const v11 = YAML.parseAllDocuments(text, { version: '1.1' });
  const v12 = YAML.parseAllDocuments(text, { version: '1.2' });
  for (const doc of [...v11, ...v12]) problems.push(...doc.errors.map((e) => e.message));
  if (problems.length > 0) return problems;
  const a = v11.map((d) => d.toJS() as unknown);
  const b = v12.map((d) => d.toJS() as unknown);
  if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`YAML 1.1 read differs from YAML 1.2 read: ${firstDifference(a, b)}`);
  for (const doc of v12) {
    YAML.visit(doc, {
      Scalar(_key, node) {
        if (node.type === 'PLAIN' && typeof node.value === 'string' && isAmbiguousPlain(node.value)) {
          problems.push(`plain scalar ${JSON.stringify(node.value)} is retyped by YAML 1.1 readers (offset ${node.range?.[0]})`);
        }
      },
    });
  }
  return problems;
}

function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (JSON.stringify(a) === JSON.stringify(b)) return '';
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      const d = firstDifference(ra[k], rb[k], `${at}/${k}`);
      if (d) return d;
    }
  }
  return `${at || '/'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}
