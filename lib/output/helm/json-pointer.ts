/**
 * Minimal RFC 6901 JSON Pointer support for the Helm chart writer: parse,
 * read and replace one location of a plain JSON document.
 */

/**
 * Splits an RFC 6901 pointer ('/spec/template/spec/containers/0/image') into
 * its unescaped reference tokens. The whole-document pointer '' is rejected:
 * a Helm binding always targets a field inside an object.
 *
 * @throws if `pointer` is not a string starting with '/' or has a bad escape.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (typeof pointer !== 'string' || !pointer.startsWith('/')) {
    throw new Error(`Invalid JSON pointer ${JSON.stringify(pointer)}: must start with '/' (RFC 6901), e.g. '/spec/replicas'`);
  }
  return pointer
    .substring(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw new Error(`Invalid JSON pointer ${JSON.stringify(pointer)}: '~' must be escaped as '~0' ('/' as '~1') (RFC 6901)`);
      }
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** Result of {@link resolveJsonPointer}: the parent container and the key of the field in it. */
export interface JsonPointerTarget {
  /** The object or array holding the field. */
  readonly parent: Record<string, unknown> | unknown[];
  /** The key (object) or index (array) of the field inside `parent`. */
  readonly key: string | number;
  /** The field's current value. */
  readonly value: unknown;
}

/**
 * Finds the field at `pointer` in `doc`.
 *
 * @returns the field's location, or `undefined` when any token does not exist
 *          (missing key, array index out of range or not a decimal index, or a
 *          scalar in the middle of the path).
 */
export function resolveJsonPointer(doc: unknown, pointer: string): JsonPointerTarget | undefined {
  const tokens = parseJsonPointer(pointer);
  let parent: Record<string, unknown> | unknown[] | undefined = undefined;
  let key: string | number = '';
  let current: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= current.length) return undefined;
      parent = current;
      key = Number(token);
      current = current[key];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
      const record = current as Record<string, unknown>;
      parent = record;
      key = token;
      current = record[token];
    } else {
      return undefined;
    }
  }
  // parseJsonPointer rejects '' (the whole document), so a parent always exists here.
  return parent === undefined ? undefined : { parent, key, value: current };
}

/** Replaces the field a {@link resolveJsonPointer} result points at. */
export function assignAtPointer(target: JsonPointerTarget, value: unknown): void {
  (target.parent as Record<string | number, unknown>)[target.key] = value;
}

/** Escapes one key for use as an RFC 6901 pointer token: `~` -> `~0`, `/` -> `~1`. */
export function escapePointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
