/**
 * String templates such as '{repository}:{tag}' used by
 * `HelmValues.bindTemplate`: parsing, splitting a synthesized string into its
 * parts, and rendering the equivalent Go-template `printf` expression.
 */

/** One piece of a parsed template: literal text or a `{placeholder}`. */
export type ValueTemplateSegment = { readonly literal: string } | { readonly placeholder: string };

const PLACEHOLDER_NAME = /^[a-zA-Z][a-zA-Z0-9]*$/;

/** A parsed and validated value template. */
export class ValueTemplate {
  /**
   * Parses `template`. Placeholders are `{name}` (name: letter then letters or
   * digits); braces cannot otherwise appear. Two placeholders must be separated
   * by literal text, or the split would be ambiguous.
   *
   * @param template e.g. '{repository}:{tag}'
   * @param partNames names of the declared parts; each must be used, and only they may be used
   * @throws naming the template and the offending placeholder or brace
   */
  public static parse(template: string, partNames: readonly string[]): ValueTemplate {
    if (typeof template !== 'string' || template.length === 0) {
      throw new Error(`Invalid value template ${JSON.stringify(template)}: must be a non-empty string such as '{repository}:{tag}'`);
    }
    const segments: ValueTemplateSegment[] = [];
    const re = /\{([^{}]*)\}/g;
    let last = 0;
    let m: RegExpExecArray | null;
    const pushLiteral = (text: string) => {
      if (text.length === 0) return;
      const brace = text.search(/[{}]/);
      if (brace >= 0) {
        throw new Error(
          `Invalid value template ${JSON.stringify(template)}: unbalanced '${text[brace]}'; ` +
            "braces are only allowed around placeholder names, e.g. '{repository}:{tag}'",
        );
      }
      segments.push({ literal: text });
    };
    while ((m = re.exec(template)) !== null) {
      pushLiteral(template.substring(last, m.index));
      const name = m[1];
      if (!PLACEHOLDER_NAME.test(name)) {
        throw new Error(`Invalid value template ${JSON.stringify(template)}: placeholder {${name}} must match ${PLACEHOLDER_NAME}`);
      }
      const prev = segments[segments.length - 1];
      if (prev && 'placeholder' in prev) {
        throw new Error(
          `Invalid value template ${JSON.stringify(template)}: placeholders {${prev.placeholder}} and {${name}} ` +
            'must be separated by literal text, otherwise the split is ambiguous',
        );
      }
      segments.push({ placeholder: name });
      last = m.index + m[0].length;
    }
    pushLiteral(template.substring(last));

    const used = new Set(segments.flatMap((s) => ('placeholder' in s ? [s.placeholder] : [])));
    if (used.size === 0) {
      throw new Error(`Invalid value template ${JSON.stringify(template)}: it has no {placeholder}; use bind() for a whole field`);
    }
    for (const name of used) {
      if (!partNames.includes(name)) {
        throw new Error(
          `Invalid value template ${JSON.stringify(template)}: placeholder {${name}} has no entry in parts ` +
            `(parts: ${partNames.map((p) => `'${p}'`).join(', ') || 'none'})`,
        );
      }
    }
    for (const name of partNames) {
      if (!used.has(name)) {
        throw new Error(`Invalid value template ${JSON.stringify(template)}: part '${name}' is not used by any {placeholder}`);
      }
    }
    return new ValueTemplate(template, segments);
  }

  /** The template text as given. */
  public readonly template: string;
  /** The parsed segments, in order. */
  public readonly segments: readonly ValueTemplateSegment[];
  private readonly regex: RegExp;

  private constructor(template: string, segments: ValueTemplateSegment[]) {
    this.template = template;
    this.segments = segments;
    const seen = new Set<string>();
    const source = segments
      .map((s) => {
        if ('literal' in s) return escapeRegExp(s.literal);
        if (seen.has(s.placeholder)) return `\\k<${s.placeholder}>`;
        seen.add(s.placeholder);
        return `(?<${s.placeholder}>.+)`;
      })
      .join('');
    this.regex = new RegExp(`^${source}$`, 's');
  }

  /**
   * Splits `value` into the text of each placeholder. Every placeholder matches
   * at least one character; when the split is ambiguous, earlier placeholders
   * take as much as possible (so 'registry:5000/api:1.2' against
   * '{repository}:{tag}' gives repository 'registry:5000/api', tag '1.2').
   *
   * @returns part name -> text, or `undefined` when `value` does not match.
   */
  public split(value: string): Record<string, string> | undefined {
    const m = this.regex.exec(value);
    return m ? { ...m.groups } : undefined;
  }

  /**
   * The Go-template `printf` call that rebuilds the string from values, e.g.
   * `printf "%s:%s" (toString .Values.api.image.repository) (toString .Values.api.image.tag)`.
   *
   * @param argument renders one placeholder as a Go-template pipeline argument
   */
  public toPrintf(argument: (placeholder: string) => string): string {
    let format = '';
    const args: string[] = [];
    for (const s of this.segments) {
      if ('literal' in s) {
        format += s.literal.replace(/%/g, '%%');
      } else {
        format += '%s';
        args.push(argument(s.placeholder));
      }
    }
    return `printf ${goStringLiteral(format)} ${args.join(' ')}`;
  }
}

/** A Go interpreted string literal for `s` (JSON string escapes are a subset of Go's). */
export function goStringLiteral(s: string): string {
  return JSON.stringify(s);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
