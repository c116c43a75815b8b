import { containersOf, podTemplateOf } from './pod-specs';
import { walk } from './schema-check';
import type { ExternalSecretSpec, SecretStoreSpec } from '../../imports/external-secrets.io';
import { Check, CheckInput, isKind, ManifestObject, objectsOf, RuleInfo, Violation } from './types';

export const SECRET_RULES: readonly RuleInfo[] = [
  {
    id: 'secrets/secret-data',
    family: 'secrets',
    description: 'no Secret with data or stringData in the output (values come from the cluster or AWS Secrets Manager)',
  },
  { id: 'secrets/env-literal', family: 'secrets', description: 'no literal env value under a name like PASSWORD, SECRET, TOKEN or KEY' },
  { id: 'secrets/url-credentials', family: 'secrets', description: 'no user:password@ in any URL' },
  {
    id: 'secrets/config-credentials',
    family: 'secrets',
    description: 'no password/token assignments, private keys or cloud access keys in ConfigMaps or annotations',
  },
  {
    id: 'secrets/store-ref',
    family: 'secrets',
    description: "every ExternalSecret entry reads from a SecretStore of its namespace or a ClusterSecretStore in the environment's output",
  },
  {
    id: 'secrets/store-access',
    family: 'secrets',
    description: 'a Secret read through a Kubernetes-provider store is one its service account may get (Role + RoleBinding)',
  },
];

/** Env var names that hold secrets. */
export const SECRET_NAME = /(PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)(_|$)/i;
/** Names that merely point at a secret (a file, a path, a Secret name) or describe it. */
const REFERENCE_SUFFIX = /_(FILE|PATH|DIR|NAME|REF|ENABLED|TTL|TIMEOUT|EXPIRY|EXPIRATION|ALGORITHM|HEADER|LENGTH)$/i;
/** `scheme://user:password@` where the password is not an env reference. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:([^\s@/'"]+)@/gi;
/**
 * `password = x`, `password: x`, `"password":"x"`; not psql's `PASSWORD :'var'` interpolation
 * (a colon counts only after a quote or before whitespace).
 */
const ASSIGNMENT =
  /\b(password|passwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?token)\b(?:["']\s*:|\s*=|:\s)\s*["']?([^\s"',;}]+)/gi;
/** redis.conf style: `requirepass x`, `masterauth x`. */
const DIRECTIVE = /^\s*(requirepass|masterauth)\s+(\S+)/gim;
const PRIVATE_KEY = /-----BEGIN (RSA |EC |OPENSSH |ENCRYPTED |DSA )?PRIVATE KEY-----/;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

/** True for values that reference a secret instead of holding one: $(VAR), ${VAR}, $VAR, :'var', <placeholder>, empty. */
export function isReference(v: string): boolean {
  const s = v.trim().replace(/^["']|["']$/g, '');
  return (
    s === '' ||
    /^\$\(?\{?[A-Za-z_][A-Za-z0-9_]*\}?\)?$/.test(s) ||
    /^:['"]?[A-Za-z_][A-Za-z0-9_]*['"]?$/.test(s) ||
    /^<[^>]+>$/.test(s) ||
    /^\{\{.*\}\}$/.test(s) ||
    /^\*+$/.test(s) ||
    /^(true|false|null|none|required|optional|scram-sha-256|md5)$/i.test(s)
  );
}

/** No secret value may appear in the synthesized output. */
export class SecretsCheck implements Check {
  public readonly family = 'secrets' as const;
  public readonly rules = SECRET_RULES;

  public run(input: CheckInput): Violation[] {
    const out: Violation[] = [];
    for (const m of input.objects) out.push(...this.checkObject(m));
    out.push(...storeViolations(input.objects));
    return out;
  }

  public checkObject(m: ManifestObject): Violation[] {
    const out: Violation[] = [];
    const add = (rule: string, field: string | undefined, message: string) => out.push({ rule, object: m, field, message });
    const o = m.object;
    if (isKind(o, 'Secret')) {
      for (const f of ['data', 'stringData'] as const) {
        const keys = Object.keys(o[f] ?? {});
        if (keys.length)
          add(
            'secrets/secret-data',
            f,
            `Secret carries ${f} keys ${keys.join(', ')}; expected no secret values in the output (generate them in-cluster or read them with an ExternalSecret)`,
          );
      }
    }
    const t = podTemplateOf(m);
    if (t) {
      for (const { container: c, path } of containersOf(t)) {
        (c.env ?? []).forEach((e, i) => {
          if (typeof e.value === 'string' && SECRET_NAME.test(e.name) && !REFERENCE_SUFFIX.test(e.name) && !isReference(e.value)) {
            add(
              'secrets/env-literal',
              `${path}.env[${i}].value`,
              `container '${c.name}': env ${e.name} has a literal value (${mask(e.value)}); expected valueFrom.secretKeyRef`,
            );
          }
        });
      }
    }
    walk(o, '', (v, path, key, parentKey) => {
      if (typeof v !== 'string') return;
      for (const match of v.matchAll(URL_CREDENTIALS)) {
        if (!isReference(match[1]))
          add(
            'secrets/url-credentials',
            path,
            `URL with an embedded password (${mask(match[0])}); expected credentials from a Secret, not in the URL`,
          );
      }
      const scanned = (o.kind === 'ConfigMap' && (path.startsWith('data') || path.startsWith('binaryData'))) || parentKey === 'annotations';
      if (!scanned) return;
      if (PRIVATE_KEY.test(v))
        add('secrets/config-credentials', path, 'contains a PEM private key; expected it in a Secret created outside Git');
      if (AWS_ACCESS_KEY.test(v)) add('secrets/config-credentials', path, 'contains an AWS access key id; expected IRSA (no static keys)');
      for (const match of [...v.matchAll(ASSIGNMENT), ...v.matchAll(DIRECTIVE)]) {
        if (!isReference(match[2]))
          add(
            'secrets/config-credentials',
            path,
            `assigns ${match[1]} a literal value (${mask(match[2])}) in ${key}; expected a reference to a mounted Secret or an env var`,
          );
      }
    });
    return out;
  }
}

/** Shows only the shape of a secret in messages. */
function mask(v: string): string {
  return v.length <= 4 ? '****' : `${v.slice(0, 2)}****${v.length > 12 ? v.slice(-2) : ''}`;
}

interface StoreRef {
  readonly name?: string;
  readonly kind?: string;
}

/**
 * `secrets/store-ref` and `secrets/store-access`, per environment: every store an ExternalSecret
 * names exists (a SecretStore in its namespace, or a ClusterSecretStore), and what it reads through
 * a `kubernetes` store (another Secret of the cluster) is granted to that store's service account.
 * An entry from a generator needs no store.
 */
function storeViolations(objects: readonly ManifestObject[]): Violation[] {
  const out: Violation[] = [];
  const envs = new Map<string, ManifestObject[]>();
  for (const m of objects) envs.set(m.env, [...(envs.get(m.env) ?? []), m]);
  for (const env of envs.values()) {
    const stores = new Map<string, SecretStoreSpec | undefined>();
    for (const m of env) {
      const o = m.object;
      if (o.kind === 'SecretStore') stores.set(`SecretStore ${o.metadata?.namespace}/${o.metadata?.name}`, o.spec as SecretStoreSpec);
      if (o.kind === 'ClusterSecretStore') stores.set(`ClusterSecretStore ${o.metadata?.name}`, o.spec as SecretStoreSpec);
    }
    const roles = objectsOf(env, 'Role');
    const bindings = objectsOf(env, 'RoleBinding');
    /** True when a Role of `namespace` bound to the service account grants get on the Secret. */
    const mayGet = (namespace: string, account: string, accountNamespace: string, secret: string) =>
      bindings.some(
        ({ object: b }) =>
          b.metadata?.namespace === namespace &&
          b.roleRef.kind === 'Role' &&
          (b.subjects ?? []).some(
            (s) => s.kind === 'ServiceAccount' && s.name === account && (s.namespace ?? namespace) === accountNamespace,
          ) &&
          roles.some(
            ({ object: r }) =>
              r.metadata?.namespace === namespace &&
              r.metadata?.name === b.roleRef.name &&
              (r.rules ?? []).some(
                (rule) =>
                  (rule.apiGroups ?? []).some((g) => g === '' || g === '*') &&
                  (rule.resources ?? []).some((x) => x === 'secrets' || x === '*') &&
                  rule.verbs.some((v) => v === 'get' || v === '*') &&
                  (rule.resourceNames === undefined || rule.resourceNames.includes(secret)),
              ),
          ),
      );
    for (const m of env) {
      const o = m.object;
      if (o.kind !== 'ExternalSecret') continue;
      const namespace = o.metadata?.namespace ?? '';
      const spec = (o.spec ?? {}) as ExternalSecretSpec;
      const add = (rule: string, field: string, message: string) => out.push({ rule, object: m, field, message });
      const entries: Array<{ field: string; ref: StoreRef | undefined; generated: boolean; key?: string }> = [
        ...(spec.data ?? []).map((d, i) => ({
          field: `spec.data[${i}]`,
          ref: d.sourceRef?.storeRef ?? spec.secretStoreRef,
          generated: d.sourceRef?.generatorRef !== undefined,
          key: d.remoteRef?.key,
        })),
        ...(spec.dataFrom ?? []).map((d, i) => ({
          field: `spec.dataFrom[${i}]`,
          ref: d.sourceRef?.storeRef ?? spec.secretStoreRef,
          generated: d.sourceRef?.generatorRef !== undefined,
        })),
      ];
      for (const e of entries) {
        if (e.generated) continue;
        const kind = String(e.ref?.kind ?? 'SecretStore');
        const id = kind === 'ClusterSecretStore' ? `ClusterSecretStore ${e.ref?.name}` : `SecretStore ${namespace}/${e.ref?.name}`;
        if (!e.ref?.name || !stores.has(id)) {
          add(
            'secrets/store-ref',
            e.field,
            e.ref?.name
              ? `reads from ${id}, which is not in the output; expected a SecretStore of namespace '${namespace}' or a ClusterSecretStore declared with it`
              : 'names no store (no spec.secretStoreRef, no sourceRef); expected a store or a generator',
          );
          continue;
        }
        const k8sProvider = stores.get(id)?.provider?.kubernetes;
        const account = k8sProvider?.auth?.serviceAccount;
        if (!k8sProvider || !account || e.key === undefined) continue;
        const remoteNamespace = k8sProvider.remoteNamespace ?? 'default';
        const accountNamespace = account.namespace ?? namespace;
        if (!mayGet(remoteNamespace, account.name, accountNamespace, e.key))
          add(
            'secrets/store-access',
            e.field,
            `reads Secret '${remoteNamespace}/${e.key}' through ${id}, but service account '${accountNamespace}/${account.name}' may not get it; expected a Role in '${remoteNamespace}' with get on that Secret, bound to the account`,
          );
      }
    }
  }
  return out;
}
