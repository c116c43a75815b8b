/**
 * Fluent Bit's configuration (YAML format, rendered with the `yaml` package) from typed inputs,
 * and {@link validateShipperConfig}, which parses a rendered configuration back and checks it the
 * way Fluent Bit would route records: every input has a parser, every filter and output matches a
 * tag some input (or a rewrite_tag rule) produces, every record reaches exactly one output, and
 * every output writes to a host that exists.
 */
import { parse, stringify } from 'yaml';

/** Where the agent keeps its state on the node (tail positions and buffered chunks). */
export interface FluentBitPaths {
  /** Directory of the tail position databases and the filesystem buffer (a hostPath, so both survive restarts). */
  readonly stateDir: string;
  /** The CA file that verifies Elasticsearch's HTTP certificate (with TLS). */
  readonly caFile?: string;
}

/** One watched namespace: its container logs, and which pods go to which data stream. */
export interface LogSourceSpec {
  readonly namespace: string;
  /** Value of the app label -> data stream family: pods with that value write to `<family>-<namespace>`. */
  readonly routes: Readonly<Record<string, string>>;
  /** Family of every other pod of the namespace: `<family>-<namespace>`. */
  readonly otherDataStream: string;
}

/** The Elasticsearch HTTP API the outputs write to. */
export interface EsOutputSpec {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string;
  /** Environment variable holding the password (Fluent Bit expands `${VAR}` in its configuration). */
  readonly passwordEnv: string;
}

export interface FluentBitConfigSpec {
  readonly sources: readonly LogSourceSpec[];
  /** Pod label whose value selects a route. */
  readonly appLabel: string;
  readonly elasticsearch: EsOutputSpec;
  readonly paths: FluentBitPaths;
  /** HTTP server port (health, metrics). */
  readonly httpPort: number;
  /** `storage.total_limit_size` of each output, e.g. `256M`. */
  readonly outputBufferLimit: string;
  /** Retries of a chunk before it is dropped. */
  readonly retryLimit: number;
}

/** Data stream a source's route (or its other pods) writes to: `<family>-<namespace>`. */
export function dataStreamName(family: string, namespace: string): string {
  return `${family}-${namespace}`;
}

/** Tag of records read from a namespace's container logs: `kube.<namespace>.<path of the file>`. */
function inputTag(namespace: string): string {
  return `kube.${namespace}.*`;
}

/** Tag a rewrite_tag rule gives a routed record. */
function routedTag(namespace: string, family: string): string {
  return `routed.${namespace}.${family}`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The configuration as an object (what {@link renderFluentBitConfig} serialises). */
export function fluentBitConfig(spec: FluentBitConfigSpec): Record<string, unknown> {
  const { stateDir } = spec.paths;
  const es = spec.elasticsearch;
  const inputs: Record<string, unknown>[] = [];
  const filters: Record<string, unknown>[] = [];
  const outputs: Record<string, unknown>[] = [];
  const esOutput = (alias: string, match: string, index: string): Record<string, unknown> => ({
    name: 'es',
    alias,
    match,
    host: es.host,
    port: es.port,
    index,
    // Data streams take `create` only; Elasticsearch 8+ rejects a mapping type.
    write_operation: 'create',
    suppress_type_name: 'on',
    // `app.kubernetes.io/name` and `app` as label keys would map `labels.app` both as an object and a keyword: one of them would be rejected.
    replace_dots: 'on',
    http_user: es.username,
    http_passwd: `\${${es.passwordEnv}}`,
    ...(es.tls ? { tls: 'on', 'tls.verify': 'on', 'tls.ca_file': spec.paths.caFile } : {}),
    retry_limit: spec.retryLimit,
    'storage.total_limit_size': spec.outputBufferLimit,
  });

  for (const source of spec.sources) {
    const ns = source.namespace;
    inputs.push({
      name: 'tail',
      alias: `tail-${ns}`,
      tag: inputTag(ns),
      // kubelet's links to the pod log files are named <pod>_<namespace>_<container>-<id>.log.
      path: `/var/log/containers/*_${ns}_*.log`,
      // containerd writes CRI log lines (time, stream, partial flag, message); the cri parser joins partial lines.
      'multiline.parser': 'cri',
      db: `${stateDir}/tail-${ns}.db`,
      'db.locking': 'on',
      // On the first start, ship what the node still has of running pods (kubelet rotates at 10Mi x 5); later starts resume at the position in the db.
      read_from_head: 'on',
      skip_long_lines: 'on',
      buffer_max_size: '256k',
      refresh_interval: 10,
      'storage.type': 'filesystem',
    });
    filters.push({
      name: 'kubernetes',
      alias: `kubernetes-${ns}`,
      match: inputTag(ns),
      kube_tag_prefix: `kube.${ns}.var.log.containers.`,
      // JSON log lines become fields; a pod may name its parser (fluentbit.io/parser) or opt out (fluentbit.io/exclude).
      merge_log: 'on',
      keep_log: 'off',
      'k8s-logging.parser': 'on',
      'k8s-logging.exclude': 'on',
      labels: 'on',
      // Annotations carry tool configuration, not log context, and sometimes values nobody should index.
      annotations: 'off',
      // A pod's API object with many labels and env entries exceeds the 32k default, which would drop its metadata.
      buffer_size: '256k',
    });
    // One rewrite_tag filter per route, each with one rule (KEY REGEX NEW_TAG KEEP): a matching record leaves its
    // input's tag (KEEP false) for the route's; the others go on to the next route and, unmatched, to the namespace's output.
    for (const [app, family] of Object.entries(source.routes)) {
      filters.push({
        name: 'rewrite_tag',
        alias: `route-${ns}-${family}`,
        match: inputTag(ns),
        rule: `$kubernetes['labels']['${spec.appLabel}'] ^${escapeRegex(app)}$ ${routedTag(ns, family)} false`,
        emitter_name: `route-${ns}-${family}`,
        'emitter_storage.type': 'filesystem',
        emitter_mem_buf_limit: '16M',
      });
      outputs.push(esOutput(`${ns}-${family}`, routedTag(ns, family), dataStreamName(family, ns)));
    }
    outputs.push(esOutput(`${ns}-${source.otherDataStream}`, inputTag(ns), dataStreamName(source.otherDataStream, ns)));
  }

  return {
    service: {
      flush: 1,
      log_level: 'info',
      parsers_file: '/fluent-bit/etc/parsers.conf',
      http_server: 'on',
      http_listen: '0.0.0.0',
      http_port: spec.httpPort,
      // /api/v1/health answers 500 after 5 failed flushes or retries in 60 s: readiness shows that shipping is failing.
      health_check: 'on',
      hc_errors_count: 5,
      hc_retry_failure_count: 5,
      hc_period: 60,
      'storage.path': `${stateDir}/storage`,
      'storage.sync': 'normal',
      'storage.checksum': 'off',
      'storage.backlog.mem_limit': '16M',
      'storage.max_chunks_up': 64,
      'storage.metrics': 'on',
    },
    pipeline: { inputs, filters, outputs },
  };
}

/** The configuration file (`fluent-bit.yaml`). */
export function renderFluentBitConfig(spec: FluentBitConfigSpec): string {
  return stringify(fluentBitConfig(spec), { lineWidth: 0 });
}

/** A Service a configuration may send to: its cluster DNS name and ports. */
export interface KnownHost {
  readonly host: string;
  readonly ports: readonly number[];
}

/** Options of {@link validateShipperConfig}. */
export interface ShipperConfigCheckOptions {
  /**
   * Index patterns of the index templates that exist (e.g. `['gateway-logs-*', 'logs-*']`): every
   * Elasticsearch output's index must match one, or it would create an index without our mappings
   * and lifecycle. @default - not checked
   */
  readonly indexPatterns?: readonly string[];
}

/** Multiline parsers built into Fluent Bit. */
const BUILTIN_MULTILINE_PARSERS = ['docker', 'cri', 'go', 'python', 'java', 'ruby'];
/** Parsers of the image's /fluent-bit/etc/parsers.conf (those this check accepts when the file is loaded). */
const IMAGE_PARSERS_FILE = '/fluent-bit/etc/parsers.conf';
const IMAGE_PARSERS = [
  'json',
  'docker',
  'cri',
  'syslog-rfc5424',
  'syslog-rfc3164',
  'syslog-rfc3164-local',
  'apache',
  'apache2',
  'nginx',
  'logfmt',
];

type Section = Record<string, unknown>;

function sections(v: unknown): Section[] {
  return Array.isArray(v) ? v.filter((s): s is Section => typeof s === 'object' && s !== null) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function on(v: unknown): boolean {
  return ['on', 'true', 'yes', '1'].includes(String(v).toLowerCase());
}

/** A Fluent Bit `match` (or index pattern) as a regular expression: `*` matches anything, dots included. */
function globRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
}

/** Tags a tail input gives its records: `*` in its tag is the file's path with '/' as '.' (one example per path pattern). */
function inputSampleTags(input: Section): string[] {
  const tag = str(input.tag) ?? '';
  if (!tag.includes('*')) return [tag];
  const paths = (str(input.path) ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return (paths.length ? paths : ['x']).map((p) => tag.replace('*', p.replace(/\*/g, 'x').replace(/\//g, '.').replace(/^\.+/, '')));
}

/**
 * Checks a rendered Fluent Bit YAML configuration; returns the problems found (empty when sound):
 *
 * - every input names a `parser` or `multiline.parser` that exists (built in, in the image's
 *   parsers file when the service loads it, or declared in the configuration);
 * - every filter's and output's `match` matches a tag that an input, or a rewrite_tag rule of a
 *   filter that sees records, produces;
 * - every produced tag is matched by exactly one output (none: its records are dropped; several:
 *   shipped twice);
 * - every output's `host` is one of `knownHosts` and its `port` one of that host's ports;
 * - every Elasticsearch output writes a named index with `create` (data streams take nothing else)
 *   and no mapping type, verifies TLS against a CA file when TLS is on, takes its password from the
 *   environment (`${VAR}`), and (with `indexPatterns`) writes an index an index template matches.
 */
export function validateShipperConfig(config: string, knownHosts: readonly KnownHost[], options: ShipperConfigCheckOptions = {}): string[] {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(config);
  } catch (e) {
    return [`configuration is not YAML: ${(e as Error).message}`];
  }
  const root = (typeof doc === 'object' && doc !== null ? doc : {}) as Section;
  const service = (root.service ?? {}) as Section;
  const pipeline = (root.pipeline ?? {}) as Section;
  const inputs = sections(pipeline.inputs);
  const filters = sections(pipeline.filters);
  const outputs = sections(pipeline.outputs);
  const label = (kind: string, s: Section, i: number) => `${kind}[${i}] '${str(s.alias) ?? str(s.name) ?? '?'}'`;
  if (inputs.length === 0) problems.push('pipeline.inputs is empty; expected at least one input');
  if (outputs.length === 0) problems.push('pipeline.outputs is empty; expected at least one output');

  const parsersFiles = [service.parsers_file].flat().map(str);
  const parsers = new Set([
    ...(parsersFiles.includes(IMAGE_PARSERS_FILE) ? IMAGE_PARSERS : []),
    ...sections(root.parsers).map((p) => str(p.name)),
  ]);
  const multilineParsers = new Set([...BUILTIN_MULTILINE_PARSERS, ...sections(root.multiline_parsers).map((p) => str(p.name))]);

  const tags: string[] = [];
  inputs.forEach((input, i) => {
    const where = label('input', input, i);
    if (!str(input.tag)) problems.push(`${where} has no tag; expected one for filters and outputs to match`);
    const parser = str(input.parser);
    const multiline = str(input['multiline.parser']);
    if (parser === undefined && multiline === undefined)
      problems.push(`${where} has no parser; expected parser or multiline.parser (e.g. 'cri' for containerd's log files)`);
    for (const name of (multiline ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean))
      if (!multilineParsers.has(name))
        problems.push(`${where}: multiline.parser '${name}' is unknown; expected one of ${[...multilineParsers].join(', ')}`);
    if (parser !== undefined && !parsers.has(parser))
      problems.push(`${where}: parser '${parser}' is unknown; expected one of ${[...parsers].join(', ') || '(none loaded)'}`);
    tags.push(...inputSampleTags(input));
  });

  filters.forEach((filter, i) => {
    const where = label('filter', filter, i);
    const match = str(filter.match);
    if (match === undefined) {
      problems.push(`${where} has no match; expected the tags it applies to`);
      return;
    }
    const seen = tags.filter((t) => globRegex(match).test(t));
    if (seen.length === 0) {
      problems.push(`${where}: match '${match}' matches no input's tag (${tags.join(', ')}); expected a tag an input produces`);
      return;
    }
    if (filter.name !== 'rewrite_tag') return;
    for (const rule of [filter.rule].flat().map(str)) {
      const parts = (rule ?? '').trim().split(/\s+/);
      if (parts.length !== 4) {
        problems.push(`${where}: rule '${rule}'; expected 'KEY REGEX NEW_TAG KEEP'`);
        continue;
      }
      // Record accessor or $TAG placeholders in the new tag stand for values only known at run time.
      tags.push(parts[2].replace(/\$[A-Za-z_]+(\[[^\]]*\])*/g, 'x'));
    }
  });

  const matchedBy = new Map<string, string[]>(tags.map((t) => [t, []]));
  outputs.forEach((output, i) => {
    const where = label('output', output, i);
    const match = str(output.match);
    if (match === undefined) {
      problems.push(`${where} has no match; expected the tags it ships`);
    } else {
      const hit = tags.filter((t) => globRegex(match).test(t));
      if (hit.length === 0)
        problems.push(`${where}: match '${match}' matches no tag (${tags.join(', ')}); expected a tag an input or rule produces`);
      for (const t of hit) matchedBy.get(t)!.push(where);
    }
    const host = str(output.host);
    if (host !== undefined) {
      const known = knownHosts.find((k) => k.host === host);
      const port = Number(output.port);
      if (!known)
        problems.push(
          `${where}: host '${host}' is not a Service of the stack; expected one of ${knownHosts.map((k) => k.host).join(', ') || '(none)'}`,
        );
      else if (!known.ports.includes(port))
        problems.push(`${where}: port ${str(output.port)} of '${host}'; expected one of ${known.ports.join(', ')}`);
    } else if (output.name === 'es') {
      problems.push(`${where} has no host; expected the Elasticsearch Service's name`);
    }
    if (output.name === 'es') {
      const index = str(output.index);
      if (!index) problems.push(`${where} has no index; expected the data stream it writes`);
      else if (options.indexPatterns && !options.indexPatterns.some((p) => globRegex(p).test(index)))
        problems.push(
          `${where}: index '${index}' matches no index template (${options.indexPatterns.join(', ')}); expected a data stream a template makes`,
        );
      if (on(output.logstash_format))
        problems.push(`${where}: logstash_format on writes dated indices; expected a data stream name in index`);
      if (str(output.write_operation) !== 'create')
        problems.push(
          `${where}: write_operation '${str(output.write_operation)}'; expected 'create' (the only operation a data stream accepts)`,
        );
      if (!on(output.suppress_type_name))
        problems.push(`${where}: suppress_type_name is off; expected on (Elasticsearch 8+ rejects a mapping type)`);
      const passwd = str(output.http_passwd);
      if (passwd !== undefined && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(passwd))
        problems.push(`${where}: http_passwd is a literal; expected an environment reference such as \${ES_PASSWORD}`);
      if (on(output.tls)) {
        if (output['tls.verify'] !== undefined && !on(output['tls.verify']))
          problems.push(`${where}: tls.verify is off; expected on (the certificate is checked against the CA)`);
        if (!str(output['tls.ca_file']))
          problems.push(`${where}: tls on without tls.ca_file; expected the CA that signed the server's certificate`);
      }
    }
  });
  for (const [tag, outs] of matchedBy) {
    if (outs.length === 0)
      problems.push(`tag '${tag}' reaches no output; expected exactly one output to match it (its records would be dropped)`);
    if (outs.length > 1)
      problems.push(`tag '${tag}' is matched by ${outs.join(' and ')}; expected exactly one (its records would be shipped twice)`);
  }
  return problems;
}
