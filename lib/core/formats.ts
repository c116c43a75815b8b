/**
 * The value formats the project validates, in one place: config (zod), construct props, Helm
 * value schemas and the manifest checks all test against these, so a rule never disagrees with
 * itself. Each format has a test, the regex source where one exists (for JSON Schema `pattern`)
 * and the sentence shown to users when a value does not match.
 */
import { isIPv4 } from 'net';

/** A named value format. */
export interface Format {
  /** What an allowed value looks like, for messages: "a DNS-1123 label (...)". */
  readonly expected: string;
  /**
   * True when `value` is a string in this format. A `string` argument gets a plain boolean: a type
   * predicate would narrow a rejected string to `never` (the value in the error message).
   */
  test(value: string): boolean;
  /** True when `value` is a string in this format (narrows `value` to string). */
  test(value: unknown): value is string;
  /** JSON Schema / ECMA regex source equivalent to {@link test}, when one regex expresses it. */
  readonly pattern?: string;
}

function regexFormat(re: RegExp, expected: string, extra?: (v: string) => boolean): Format {
  return {
    expected,
    pattern: extra ? undefined : re.source,
    test: (v: unknown): v is string => typeof v === 'string' && re.test(v) && (extra ? extra(v) : true),
  };
}

function predicateFormat(expected: string, ok: (v: string) => boolean): Format {
  return { expected, test: (v: unknown): v is string => typeof v === 'string' && ok(v) };
}

// --- Kubernetes names -------------------------------------------------------------------------

/** RFC 1123 label: what most Kubernetes object names, namespaces and label-derived names must be. */
export const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain (max 253 characters, checked by {@link dnsSubdomain}). */
export const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 1035 label (Service names): starts with a letter. */
export const DNS1035_LABEL_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label or annotation key's name part (after the optional prefix). */
export const LABEL_NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value (may be empty). */
export const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
/** An IANA service name: what a named container/Service port must be. */
export const IANA_SVC_NAME_RE = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;
/** A Kubernetes kind (PascalCase). */
export const KIND_RE = /^[A-Z][A-Za-z0-9]*$/;

export const dnsLabel = regexFormat(
  DNS_LABEL_RE,
  "a DNS-1123 label (lowercase letters, digits and '-', 1-63 characters, starting and ending alphanumeric)",
);
export const dnsSubdomain = regexFormat(
  DNS_SUBDOMAIN_RE,
  "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters, starting and ending alphanumeric)",
  (v) => v.length <= 253,
);
export const dns1035Label = regexFormat(
  DNS1035_LABEL_RE,
  "a DNS-1035 label (lowercase letters, digits and '-', 1-63 characters, starting with a letter)",
);
export const labelValue = regexFormat(
  LABEL_VALUE_RE,
  "a label value (at most 63 letters, digits, '-', '_' and '.', starting and ending alphanumeric, or empty)",
);
export const ianaServiceName = regexFormat(
  IANA_SVC_NAME_RE,
  "a port name (1-15 lowercase letters, digits and single '-', with at least one letter)",
);
export const kind = regexFormat(KIND_RE, "a kind such as 'ClusterRole' (PascalCase)");

/** A qualified label key: `[prefix/]name`, prefix a DNS subdomain of at most 253 characters. */
export const labelKey = predicateFormat(
  "a label key such as 'app.kubernetes.io/name' ([DNS subdomain prefix/]name of at most 63 characters)",
  (v) => {
    const slash = v.lastIndexOf('/');
    const name = slash >= 0 ? v.slice(slash + 1) : v;
    const prefix = slash >= 0 ? v.slice(0, slash) : undefined;
    return LABEL_NAME_RE.test(name) && (prefix === undefined || dnsSubdomain.test(prefix));
  },
);

/** A fully qualified host name such as `api.example.com` (a leading `*.` wildcard allowed). */
export const HOSTNAME_RE = /^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
export const hostname = regexFormat(
  HOSTNAME_RE,
  'a fully qualified DNS host name such as api.example.com (lowercase, at least two labels)',
);

// --- quantities -------------------------------------------------------------------------------

export const MEMORY_RE = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;
/** CPU: millicores (`250m`) or cores with at most three decimals (Kubernetes' precision is 1m). */
export const CPU_RE = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;

const MEMORY_MULTIPLIERS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
};

/** Parses a Kubernetes memory/storage quantity into bytes (throws on anything else). */
export function memoryBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: '${q}'`);
  return Number(m[1]) * MEMORY_MULTIPLIERS[m[2] ?? ''];
}

/** Parses a Kubernetes CPU quantity into millicores (throws on anything else). */
export function cpuMillis(q: string): number {
  if (!CPU_RE.test(q)) throw new Error(`not a CPU quantity: '${q}'`);
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

/** A positive memory or storage quantity: `256Mi`, `1Gi`, `512M`. */
export const memory: Format = {
  expected: "a memory quantity such as '256Mi', '1Gi' or '512M'",
  pattern: MEMORY_RE.source,
  test: (v: unknown): v is string => typeof v === 'string' && MEMORY_RE.test(v) && memoryBytes(v) > 0,
};
/** A positive CPU quantity: `250m`, `0.5`, `2`. */
export const cpu: Format = {
  expected: "a CPU quantity such as '250m' or '1.5' (at most 3 decimals)",
  pattern: CPU_RE.source,
  test: (v: unknown): v is string => typeof v === 'string' && CPU_RE.test(v) && cpuMillis(v) > 0,
};

// --- schedules and durations ------------------------------------------------------------------

const CRON_NAMES: ReadonlyArray<readonly string[]> = [
  [],
  [],
  [],
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
];
const CRON_BOUNDS: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function cronPartValid(part: string, i: number): boolean {
  const [range, step, extra] = part.split('/');
  if (extra !== undefined) return false;
  if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return false;
  if (range === '*') return true;
  const toNum = (s: string): number => {
    const idx = CRON_NAMES[i].indexOf(s.toLowerCase());
    if (idx >= 0) return i === 3 ? idx + 1 : idx;
    return /^[0-9]+$/.test(s) ? Number(s) : NaN;
  };
  const ends = range.split('-');
  if (ends.length > 2) return false;
  const nums = ends.map(toNum);
  if (nums.some((n) => Number.isNaN(n) || n < CRON_BOUNDS[i][0] || n > CRON_BOUNDS[i][1])) return false;
  return nums.length === 1 || nums[0] <= nums[1];
}

/** True when a five-field cron expression is valid (numbers, ranges, lists, steps, `*`, month/day names). */
export function isValidCron(expr: unknown): expr is string {
  if (typeof expr !== 'string') return false;
  const fields = expr.trim().split(/\s+/);
  return fields.length === 5 && fields.every((field, i) => field.split(',').every((part) => cronPartValid(part, i)));
}

export const cron = predicateFormat(
  "a five-field cron expression such as '0 2 * * *' (minute hour day-of-month month day-of-week)",
  isValidCron,
);

/** A duration with one unit: `30s`, `5m`, `1h`, `7d`. */
export const DURATION_RE = /^[1-9][0-9]*(s|m|h|d)$/;
export const duration = regexFormat(DURATION_RE, "a duration such as '30s', '5m', '1h' or '7d'");

/** Seconds in a {@link duration}. */
export function durationSeconds(d: string): number {
  if (!DURATION_RE.test(d)) throw new Error(`not a duration: '${d}'`);
  return Number(d.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[d.slice(-1) as 's' | 'm' | 'h' | 'd'];
}

// --- network ----------------------------------------------------------------------------------

/** True for an IPv4 or IPv6 CIDR such as `10.0.0.0/8`. */
export function isCidr(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || bits === undefined || !/^[0-9]{1,3}$/.test(bits)) return false;
  if (ip.includes(':')) return /^[0-9a-f:]+$/i.test(ip) && Number(bits) <= 128;
  const octets = ip.split('.');
  return octets.length === 4 && octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255) && Number(bits) <= 32;
}
export const cidr = predicateFormat("an IPv4 or IPv6 CIDR such as '10.0.0.0/8'", isCidr);

/**
 * True for an AWS VPC IPv4 CIDR block such as `10.0.0.0/16`: an IPv4 network address (no host
 * bits set, so a typo like `10.0.0.1/16` is caught) with a prefix from /16 to /28, the block sizes
 * a VPC accepts.
 */
export function isVpcCidr(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || bits === undefined || !/^[0-9]{2}$/.test(bits) || !isIPv4(ip)) return false;
  const prefix = Number(bits);
  if (prefix < 16 || prefix > 28) return false;
  const address = ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return address % 2 ** (32 - prefix) === 0;
}
export const vpcCidr = predicateFormat(
  "an IPv4 VPC CIDR block such as '10.0.0.0/16' (a network address with a prefix from /16 to /28)",
  isVpcCidr,
);

export const url = predicateFormat('an http(s) URL without credentials, such as https://example.com', (v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
  } catch {
    return false;
  }
});
/** A browser origin: scheme, host and optional port, no path. */
export const origin = regexFormat(
  /^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/,
  "an origin such as 'https://app.example.com' (scheme, host, optional port, no path)",
);
export const email = regexFormat(/^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$/i, 'an e-mail address such as ops@example.com');

// --- images -----------------------------------------------------------------------------------

/** repository[:tag][@sha256:digest]. */
export const IMAGE_RE =
  /^(?<repo>[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*)(:(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@sha256:[a-f0-9]{64})?$/;
/** An image repository without tag (Helm values). */
export const IMAGE_REPOSITORY_RE = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
/** An image tag that pins a version (not `latest`). */
export const PINNED_TAG_RE = /^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Splits `repo:tag` (tag empty when only a digest is given). Throws on a malformed reference. */
export function parseImage(image: string): { repository: string; tag: string; digest?: string } {
  const m = IMAGE_RE.exec(image);
  if (!m?.groups) throw new Error(`not an image reference: '${image}'`);
  const at = image.indexOf('@sha256:');
  return { repository: m.groups.repo, tag: m.groups.tag ?? '', ...(at >= 0 ? { digest: image.slice(at + 1) } : {}) };
}

/** True when an image reference is pinned: a tag other than `latest`, or a digest. */
export function isPinnedImage(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = IMAGE_RE.exec(v);
  if (!m?.groups) return false;
  return v.includes('@sha256:') || (m.groups.tag !== undefined && m.groups.tag !== 'latest');
}
export const pinnedImage = predicateFormat(
  "an image reference pinned to a version, like 'postgres:15.13' or 'repo@sha256:<digest>' (not 'latest', not untagged)",
  isPinnedImage,
);
export const imageRepository = regexFormat(IMAGE_REPOSITORY_RE, "an image repository such as 'ghcr.io/org/app' (no tag)");
export const imageTag = regexFormat(PINNED_TAG_RE, "an image tag pinned to a version such as '1.2.3' (not 'latest')");

// --- AWS ----------------------------------------------------------------------------------------

/** An S3 bucket name as S3 accepts it (3-63 characters, no IP form, no `xn--` prefix, no `..`). */
export const S3_BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const s3Bucket = regexFormat(
  S3_BUCKET_RE,
  "an S3 bucket name (3-63 lowercase letters, digits, '.' and '-', starting and ending alphanumeric, not an IP address, no '..')",
  (v) =>
    !/^\d+\.\d+\.\d+\.\d+$/.test(v) &&
    !v.includes('..') &&
    !v.startsWith('xn--') &&
    !v.endsWith('-s3alias') &&
    !v.includes('.-') &&
    !v.includes('-.'),
);
export const awsRegion = regexFormat(/^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/, "an AWS region such as 'eu-west-1'");
/**
 * A KMS key as S3 server-side encryption takes it (`--sse-kms-key-id`): a key ARN, an alias ARN,
 * or an alias name. A bare key id is not accepted: the ARN names the account and region too.
 */
export const kmsKeyId = regexFormat(
  /^(arn:aws[a-z-]*:kms:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:(key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|alias\/[A-Za-z0-9/_-]{1,250})|alias\/[A-Za-z0-9/_-]{1,250})$/,
  "a KMS key ARN 'arn:aws:kms:<region>:<account>:key/<key id>', an alias ARN 'arn:aws:kms:<region>:<account>:alias/<name>' or an alias 'alias/<name>'",
);
/** An SNS topic or SQS queue name: 1-80 letters, digits, '-' or '_'; a FIFO one ends in `.fifo` (within the 80). */
export const AWS_MESSAGING_NAME_RE = /^(?:[A-Za-z0-9_-]{1,75}\.fifo|[A-Za-z0-9_-]{1,80})$/;
export const awsMessagingName = regexFormat(
  AWS_MESSAGING_NAME_RE,
  "an SNS topic or SQS queue name (1-80 letters, digits, '-' or '_'; FIFO names end in '.fifo'), e.g. 'wondernest-events'",
);
/** An SES identity: an e-mail address or a domain (no wildcard). */
export const sesIdentity = predicateFormat(
  "an SES identity: an e-mail address such as 'noreply@example.com' or a domain such as 'example.com'",
  (v) => /^[A-Za-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(v) || (HOSTNAME_RE.test(v) && !v.startsWith('*.')),
);
export const iamRoleArn = regexFormat(
  /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/,
  "an IAM role ARN such as 'arn:aws:iam::123456789012:role/name'",
);

// --- databases ----------------------------------------------------------------------------------

/** An unquoted PostgreSQL identifier as the project writes them (lowercase). */
export const pgIdentifier = regexFormat(/^[a-z_][a-z0-9_]{0,62}$/, 'a PostgreSQL identifier (lowercase letters, digits, _)');

/** MongoDB's own databases, which an application database must not be. */
export const MONGO_RESERVED_DATABASES: readonly string[] = ['admin', 'local', 'config'];
/**
 * A MongoDB database name as the project uses them: stricter than MongoDB (no `.`, `$`, `/`, space,
 * at most 63 characters) so it is also safe in a URI path, a file name and a label, and not one of
 * MongoDB's own databases.
 */
export const mongoDatabaseName = regexFormat(
  /^[A-Za-z][A-Za-z0-9_-]{0,62}$/,
  "a MongoDB database name (a letter, then letters, digits, '_' or '-', at most 63 characters; not admin, local or config)",
  (v) => !MONGO_RESERVED_DATABASES.includes(v.toLowerCase()),
);
/** A MongoDB user name: safe unquoted in a URI user part and in log lines. */
export const mongoUserName = regexFormat(
  /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/,
  "a MongoDB user name (a letter, then letters, digits, '_', '.' or '-', at most 64 characters)",
);
/** A MongoDB replica set name (`--replSet`, the `replicaSet` URI option). */
export const mongoReplicaSetName = regexFormat(
  /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
  "a replica set name (letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters)",
);

/** A Secrets Manager name prefix such as `prod/shop`. */
export const secretsManagerPrefix = regexFormat(/^[A-Za-z0-9/_+=.@-]+$/, "a Secrets Manager name prefix such as 'prod/shop'");

// --- processes and protocols --------------------------------------------------------------------

/** An environment variable / Secret key name usable as one (`DB_PASSWORD`). */
export const envVarName = regexFormat(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  'a name of letters, digits and _ not starting with a digit (usable as an environment variable)',
);
/** `host:port`, e.g. an SMTP relay. */
export const hostPort = regexFormat(/^[A-Za-z0-9.-]+:\d{1,5}$/, "host:port, e.g. 'smtp.example.com:587'");
/** A Prometheus metric name. */
export const PROMETHEUS_METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A Prometheus label name (also what alert names follow here). */
export const PROMETHEUS_LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const prometheusMetricName = regexFormat(PROMETHEUS_METRIC_NAME_RE, 'a Prometheus metric name');
export const prometheusLabelName = regexFormat(PROMETHEUS_LABEL_NAME_RE, 'a Prometheus label name');
/** A Prometheus duration for `for`/`interval`: `30s`, `5m`, `1h`. */
export const PROMETHEUS_DURATION_RE = /^\d+[smh]$/;
/** An Alertmanager duration (`group_wait` etc.): one or more `<n><unit>` with ms, s, m, h, d, w, y. */
export const ALERTMANAGER_DURATION_RE = /^(\d+(ms|s|m|h|d|w|y))+$/;

// --- text ---------------------------------------------------------------------------------------

/**
 * True when `s` holds an ASCII control character (U+0000-U+001F or DEL), which a config-file
 * string or a PromQL label value must not carry. A code-unit test rather than a regex of control
 * characters (the lint rule against those is for ones put there by accident).
 */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f) return true;
  }
  return false;
}
