import { Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ExternalSecret,
  ExternalSecretSpecDataFromSourceRefGeneratorRefKind,
  ExternalSecretSpecDataSourceRefStoreRefKind,
  ExternalSecretSpecRefreshPolicy,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
  ExternalSecretSpecTargetTemplateMergePolicy,
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderAwsService,
  SecretStore,
  SecretStoreSpecProviderAwsService,
  SecretStoreSpecProviderKubernetesServerCaProviderType,
} from '../../../imports/external-secrets.io';
import { Password, PasswordSpecEncoding } from '../../../imports/generators.external-secrets.io';
import { SecretKeyRef } from '../workloads/container';
import { awsRegion, dnsLabel, dnsSubdomain, envVarName, secretsManagerPrefix } from '../../core/formats';
import { HelmValues } from '../../output/helm';

/** Helm value choosing the secrets provider where environments differ (gates the provider-specific objects). */
const PROVIDER_GATE = {
  valuePath: 'secrets.provider',
  description:
    "Where the stack's Secrets come from: 'generated' in the cluster (Password generators) or 'aws-secrets-manager' (read through an IRSA store)",
};

/** Where a stack's secret values come from. */
export type SecretsProvider =
  /** Random values generated once inside the cluster (External Secrets `Password` generator), never rotated by a re-sync. */
  | { readonly kind: 'generated' }
  /** AWS Secrets Manager through a SecretStore (or a namespace-bound ClusterSecretStore) authenticated with IRSA. */
  | {
      readonly kind: 'aws-secrets-manager';
      readonly region: string;
      /** IAM role (IRSA) allowed to read `<keyPrefix>/*`. */
      readonly roleArn: string;
      /** Secrets Manager name prefix, e.g. `prod/wondernest`. Each Kubernetes Secret maps to `<keyPrefix>/<secret name>`, a JSON object holding its keys. */
      readonly keyPrefix: string;
      /** How often values are re-read. @default '1h' */
      readonly refreshInterval?: string;
      /**
       * Where the store lives. `namespace`: a SecretStore in the stack's namespace. `cluster`: a
       * ClusterSecretStore `<namespace>-aws-secrets-manager` that only this namespace may use
       * (conditions) and that authenticates as this namespace's IRSA service account: the same
       * least privilege, but the store itself is cluster-scoped, so namespace admins cannot
       * repoint it at another role or prefix.
       * @default 'namespace'
       */
      readonly storeScope?: 'namespace' | 'cluster';
    };

/** Options of {@link SecretsBackend.secret}. */
export interface SecretOptions {
  /**
   * Keys with a fixed, non-secret value added to the Secret beside the secret keys, e.g. the user
   * name a chart reads from the same Secret as the password. Rendered in the ExternalSecret's
   * template (merged with the secret keys), so they are visible in Git: never put a secret here.
   * @default - none
   */
  readonly plain?: Readonly<Record<string, string>>;
  /**
   * The form of the secret keys' values. `password`: 32 letters and digits. `uuid-hex`: 32
   * hexadecimal digits, a UUID without dashes (16 random letters and digits, hex-encoded), for
   * values that must parse as a UUID, such as the public key of a Sentry DSN. Applies to the
   * `generated` provider; with AWS Secrets Manager the stored values must already have that form.
   * @default 'password'
   */
  readonly format?: SecretFormat;
  /**
   * Keys External Secrets renders in the cluster from a template over the secret keys
   * (`{{ .KEY }}`, with sprig functions such as `toJson`), e.g. a configuration file that embeds a
   * password for a consumer that reads files only. Only the template is in Git; every key it
   * references must be one of the secret keys.
   * @default - none
   */
  readonly templates?: Readonly<Record<string, string>>;
  /**
   * Keys copied from other Secrets of the stack's namespace, e.g. the `ca.crt` of a cert-manager
   * certificate for a consumer in another namespace that must verify it. External Secrets reads them
   * through the `kubernetes` SecretStore `in-namespace`, whose service account may only `get` the
   * Secrets named here (RBAC `resourceNames`). Templates may reference them like secret keys.
   * With the `generated` provider they are copied once with the generated values
   * (`refreshPolicy: CreatedOnce`, so a re-sync never rotates a password); with AWS Secrets Manager
   * they are re-read every refresh interval.
   * @default - none
   */
  readonly copied?: Readonly<Record<string, CopiedKey>>;
  /** Labels of the Kubernetes Secret itself, e.g. `grafana_datasource: "1"` for Grafana's sidecar. @default - the backend's labels only */
  readonly secretLabels?: Readonly<Record<string, string>>;
}

/** A key of another Secret in the same namespace (see {@link SecretOptions.copied}). */
export interface CopiedKey {
  /** Name of the Secret to read. */
  readonly secret: string;
  /** Its data key, e.g. `ca.crt`. */
  readonly key: string;
}

/** The form of a Secret's generated values (see {@link SecretOptions.format}). */
export type SecretFormat = 'password' | 'uuid-hex';

export interface SecretsBackendProps {
  readonly namespace: string;
  readonly provider: SecretsProvider;
  readonly labels?: Readonly<Record<string, string>>;
}

const STORE_NAME = 'aws-secrets-manager';
/** The `kubernetes` SecretStore that copies keys between Secrets of one namespace. */
export const IN_NAMESPACE_STORE = 'in-namespace';
const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Annotations that keep generated secrets out of reach of pruning by Argo CD and uninstall by Helm. */
export const KEEP_ANNOTATIONS = {
  'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
  'helm.sh/resource-policy': 'keep',
};

/**
 * Declares a stack's Secrets without ever rendering a value.
 *
 * - `generated`: one `Password` generator and one ExternalSecret per Secret with
 *   `refreshPolicy: CreatedOnce`, so values are made once in the cluster and a re-sync
 *   never rotates them (a rotated database password would lock the app out of its data).
 * - `aws-secrets-manager`: a namespaced SecretStore (IRSA service account) and one
 *   ExternalSecret per Secret reading `<keyPrefix>/<secret>`.
 */
export class SecretsBackend extends Construct {
  public readonly provider: SecretsProvider;
  private readonly namespace: string;
  private readonly labels: Readonly<Record<string, string>>;
  private readonly names = new Set<string>();
  /** The store ExternalSecrets read from (aws-secrets-manager provider). */
  private readonly storeRef?: { readonly name: string; readonly kind: ExternalSecretSpecSecretStoreRefKind };
  /** Secrets the `in-namespace` store may read (the Role's resourceNames, filled as secrets are declared). */
  private copiedSources?: string[];

  constructor(scope: Construct, id: string, props: SecretsBackendProps) {
    super(scope, id);
    this.provider = props.provider;
    this.namespace = props.namespace;
    this.labels = props.labels ?? {};
    const p = props.provider;
    if (p.kind === 'aws-secrets-manager') {
      if (!awsRegion.test(p.region))
        throw new Error(`SecretsBackend.provider.region: got '${p.region}'; expected an AWS region such as 'eu-west-1'`);
      if (!secretsManagerPrefix.test(p.keyPrefix))
        throw new Error(
          `SecretsBackend.provider.keyPrefix: got '${p.keyPrefix}'; expected a Secrets Manager name prefix such as 'prod/wondernest'`,
        );
      const sa = new k8s.KubeServiceAccount(this, 'store-sa', {
        metadata: {
          name: 'external-secrets-reader',
          namespace: this.namespace,
          labels: { ...this.labels },
          annotations: { 'eks.amazonaws.com/role-arn': p.roleArn },
        },
        automountServiceAccountToken: false,
      });
      HelmValues.of(this).gate(sa, PROVIDER_GATE.valuePath, { when: 'aws-secrets-manager', description: PROVIDER_GATE.description });
      if (p.storeScope !== undefined && !['namespace', 'cluster'].includes(p.storeScope)) {
        throw new Error(`SecretsBackend.provider.storeScope: got '${p.storeScope}'; expected 'namespace' or 'cluster'`);
      }
      if (p.storeScope === 'cluster') {
        const name = `${this.namespace}-${STORE_NAME}`;
        const store = new ClusterSecretStore(this, 'store', {
          metadata: { name, labels: { ...this.labels } },
          spec: {
            conditions: [{ namespaces: [this.namespace] }],
            provider: {
              aws: {
                service: ClusterSecretStoreSpecProviderAwsService.SECRETS_MANAGER,
                region: p.region,
                auth: { jwt: { serviceAccountRef: { name: sa.name, namespace: this.namespace } } },
              },
            },
          },
        });
        // Cluster-scoped: drop the namespace a namespaced Chart puts on every object.
        if (Chart.of(this).namespace) store.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
        HelmValues.of(this).gate(store, PROVIDER_GATE.valuePath, { when: 'aws-secrets-manager', description: PROVIDER_GATE.description });
        this.storeRef = { name, kind: ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE };
      } else {
        const store = new SecretStore(this, 'store', {
          metadata: { name: STORE_NAME, namespace: this.namespace, labels: { ...this.labels } },
          spec: {
            provider: {
              aws: {
                service: SecretStoreSpecProviderAwsService.SECRETS_MANAGER,
                region: p.region,
                auth: { jwt: { serviceAccountRef: { name: sa.name } } },
              },
            },
          },
        });
        HelmValues.of(this).gate(store, PROVIDER_GATE.valuePath, { when: 'aws-secrets-manager', description: PROVIDER_GATE.description });
        this.storeRef = { name: STORE_NAME, kind: ExternalSecretSpecSecretStoreRefKind.SECRET_STORE };
      }
    }
  }

  /**
   * Declares the Secret `name` with the secret `keys` (generated, or read from
   * `<keyPrefix>/<name>`) plus the fixed `options.plain` keys.
   * @returns a reference per key (secret and plain)
   */
  public secret(name: string, keys: readonly string[], options: SecretOptions = {}): Record<string, SecretKeyRef> {
    if (this.names.has(name)) throw new Error(`SecretsBackend: secret '${name}' is declared twice; expected unique names`);
    if (!dnsLabel.test(name)) throw new Error(`SecretsBackend: secret name '${name}'; expected a DNS-1123 label`);
    if (keys.length === 0) throw new Error(`SecretsBackend: secret '${name}' has no keys; expected at least one`);
    for (const k of keys)
      if (!envVarName.test(k)) throw new Error(`SecretsBackend: secret '${name}' key '${k}'; expected ${envVarName.expected}`);
    if (new Set(keys).size !== keys.length)
      throw new Error(`SecretsBackend: secret '${name}' keys ${JSON.stringify(keys)} contain duplicates`);
    const format = options.format ?? 'password';
    if (!['password', 'uuid-hex'].includes(format))
      throw new Error(`SecretsBackend: secret '${name}' format '${String(format)}'; expected 'password' or 'uuid-hex'`);
    const plain = options.plain ?? {};
    for (const [k, v] of Object.entries(plain)) {
      if (!envVarName.test(k)) throw new Error(`SecretsBackend: secret '${name}' plain key '${k}'; expected ${envVarName.expected}`);
      if (keys.includes(k))
        throw new Error(`SecretsBackend: secret '${name}' plain key '${k}' is also a secret key; expected distinct keys`);
      // The value lands in an ExternalSecret template (and in Helm templates when shipped in a chart's values).
      if (typeof v !== 'string' || v === '' || v.includes('{{'))
        throw new Error(
          `SecretsBackend: secret '${name}' plain key '${k}': got ${JSON.stringify(v)}; expected a non-empty string without '{{'`,
        );
    }
    const copied = options.copied ?? {};
    for (const [k, from] of Object.entries(copied)) {
      if (!envVarName.test(k)) throw new Error(`SecretsBackend: secret '${name}' copied key '${k}'; expected ${envVarName.expected}`);
      if (keys.includes(k) || k in plain)
        throw new Error(`SecretsBackend: secret '${name}' copied key '${k}' is also a secret or plain key; expected distinct keys`);
      if (typeof from !== 'object' || from === null || !dnsSubdomain.test(String(from.secret)))
        throw new Error(
          `SecretsBackend: secret '${name}' copied key '${k}': secret ${JSON.stringify(from?.secret)}; expected the name of a Secret in namespace '${this.namespace}' (DNS-1123 subdomain)`,
        );
      if (from.secret === name)
        throw new Error(`SecretsBackend: secret '${name}' copied key '${k}' reads from '${name}' itself; expected another Secret`);
      if (!DATA_KEY.test(String(from.key)))
        throw new Error(
          `SecretsBackend: secret '${name}' copied key '${k}': key ${JSON.stringify(from.key)}; expected a Secret data key (letters, digits, '-', '_', '.')`,
        );
    }
    const templates = options.templates ?? {};
    const templateKeys = [...keys, ...Object.keys(copied)];
    for (const [k, text] of Object.entries(templates)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k) || templateKeys.includes(k) || k in plain)
        throw new Error(
          `SecretsBackend: secret '${name}' template key '${k}'; expected a Secret data key (letters, digits, '-', '_', '.') distinct from its other keys`,
        );
      const refs = [...text.matchAll(/\{\{[^}]*?\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
      if (!text.includes('{{') || refs.some((r) => !templateKeys.includes(r)))
        throw new Error(
          `SecretsBackend: secret '${name}' template '${k}' references ${refs.length ? refs.map((r) => `.${r}`).join(', ') : 'no key'}; expected references to its secret and copied keys (${templateKeys.join(', ')}) only`,
        );
    }
    const secretLabels = options.secretLabels ?? {};
    const templated = { ...plain, ...templates };
    const template =
      Object.keys(templated).length > 0 || Object.keys(secretLabels).length > 0
        ? {
            template: {
              mergePolicy: ExternalSecretSpecTargetTemplateMergePolicy.MERGE,
              ...(Object.keys(secretLabels).length > 0 ? { metadata: { labels: { ...secretLabels } } } : {}),
              ...(Object.keys(templated).length > 0 ? { data: templated } : {}),
            },
          }
        : {};
    this.names.add(name);
    const p = this.provider;
    const metadata = { name, namespace: this.namespace, labels: { ...this.labels } };
    const copiedData = Object.entries(copied).map(([k, from]) => ({
      secretKey: k,
      sourceRef: { storeRef: { name: this.inNamespaceStore(from.secret), kind: ExternalSecretSpecDataSourceRefStoreRefKind.SECRET_STORE } },
      remoteRef: { key: from.secret, property: from.key },
    }));

    if (p.kind === 'generated') {
      const generator = new Password(this, `${name}-generator`, {
        metadata,
        spec:
          format === 'uuid-hex'
            ? // 16 characters hex-encoded are 32 hexadecimal digits: what Python's uuid.UUID() parses.
              {
                length: 16,
                digits: 4,
                symbols: 0,
                noUpper: false,
                allowRepeat: true,
                encoding: PasswordSpecEncoding.HEX,
                secretKeys: [...keys],
              }
            : { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true, secretKeys: [...keys] },
      });
      HelmValues.of(this).gate(generator, PROVIDER_GATE.valuePath, { when: 'generated', description: PROVIDER_GATE.description });
      new ExternalSecret(this, `${name}-external`, {
        metadata: { ...metadata, annotations: { ...KEEP_ANNOTATIONS } },
        spec: {
          refreshPolicy: ExternalSecretSpecRefreshPolicy.CREATED_ONCE,
          target: {
            name,
            creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
            deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            ...template,
          },
          ...(copiedData.length > 0 ? { data: copiedData } : {}),
          dataFrom: [
            {
              sourceRef: {
                generatorRef: {
                  apiVersion: 'generators.external-secrets.io/v1alpha1',
                  kind: ExternalSecretSpecDataFromSourceRefGeneratorRefKind.PASSWORD,
                  name,
                },
              },
            },
          ],
        },
      });
    } else {
      new ExternalSecret(this, `${name}-external`, {
        metadata: { ...metadata, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' } },
        spec: {
          refreshInterval: p.refreshInterval ?? '1h',
          secretStoreRef: { ...this.storeRef! },
          target: {
            name,
            creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
            deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            ...template,
          },
          data: [...keys.map((k) => ({ secretKey: k, remoteRef: { key: `${p.keyPrefix}/${name}`, property: k } })), ...copiedData],
        },
      });
    }
    return Object.fromEntries(
      [...keys, ...Object.keys(plain), ...Object.keys(copied), ...Object.keys(templates)].map((k) => [k, { secret: name, key: k }]),
    );
  }

  /**
   * The `in-namespace` SecretStore (External Secrets' `kubernetes` provider on the local API
   * server), made on first use, and `source` added to the Secrets its service account may `get`.
   * Nothing else: no list or watch, no other Secret.
   */
  private inNamespaceStore(source: string): string {
    if (!this.copiedSources) {
      const sources: string[] = [];
      this.copiedSources = sources;
      // One Helm switch for the store and its account: present where some Secret copies a key.
      const scope = new Construct(this, 'in-namespace');
      HelmValues.of(this).gate(scope, 'secrets.inNamespaceStore.enabled', {
        description:
          'The in-namespace SecretStore (and its service account, Role and RoleBinding) that copies keys between Secrets of the namespace',
      });
      const name = 'external-secrets-in-namespace';
      const metadata = { name, namespace: this.namespace, labels: { ...this.labels } };
      const sa = new k8s.KubeServiceAccount(scope, 'sa', { metadata, automountServiceAccountToken: false });
      // ESO validates the store with a SelfSubjectRulesReview (allowed to every authenticated user).
      new k8s.KubeRole(scope, 'role', {
        metadata,
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: sources }],
      });
      new k8s.KubeRoleBinding(scope, 'binding', {
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: this.namespace }],
      });
      new SecretStore(scope, 'store', {
        metadata: { name: IN_NAMESPACE_STORE, namespace: this.namespace, labels: { ...this.labels } },
        spec: {
          provider: {
            kubernetes: {
              remoteNamespace: this.namespace,
              // The API server's CA, published in every namespace by Kubernetes.
              server: {
                caProvider: {
                  type: SecretStoreSpecProviderKubernetesServerCaProviderType.CONFIG_MAP,
                  name: 'kube-root-ca.crt',
                  key: 'ca.crt',
                },
              },
              auth: { serviceAccount: { name: sa.name } },
            },
          },
        },
      });
    }
    if (!this.copiedSources.includes(source)) {
      this.copiedSources.push(source);
      this.copiedSources.sort();
    }
    return IN_NAMESPACE_STORE;
  }
}
