import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { SecretsBackend, SecretsProvider } from '../platform/secrets-backend';
import { checkNamespace, checkObjectName } from './validation';

/** Props for {@link GrafanaAdminSecret}. */
export interface GrafanaAdminSecretProps {
  /** Namespace Grafana runs in (the kube-prometheus-stack release's). */
  readonly namespace: string;
  /** Where the password comes from: generated once in the cluster (dev) or AWS Secrets Manager `<keyPrefix>/<name>` (prod). */
  readonly provider: SecretsProvider;
  /** Name of the Secret. @default 'grafana-admin' */
  readonly name?: string;
  /**
   * Grafana admin login, stored in the Secret beside the password (not a secret itself).
   * @default 'admin' - Grafana's own default login; the password is what protects it
   */
  readonly user?: string;
  /** Labels of the generated objects. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Keys of the admin Secret (the Grafana chart reads them through `admin.userKey` / `admin.passwordKey`). */
export const GRAFANA_ADMIN_KEYS = { user: 'admin_user', password: 'admin_password' } as const;

/** The Grafana chart values (`grafana.admin`) that make Grafana read its admin login from an existing Secret. */
export interface GrafanaAdminValues {
  readonly existingSecret: string;
  readonly userKey: string;
  readonly passwordKey: string;
}

/**
 * The Grafana admin login as a Secret no value of which is ever rendered: the password is
 * generated once inside the cluster (External Secrets `Password` generator, never rotated by a
 * re-sync) or read from AWS Secrets Manager, through {@link SecretsBackend}. Point the Grafana
 * chart at it with {@link GrafanaAdminSecret.values}, so the chart neither renders its default
 * password (`prom-operator` in kube-prometheus-stack) nor creates a Secret of its own.
 */
export class GrafanaAdminSecret extends Construct {
  /** Name of the Secret. */
  public readonly secretName: string;
  /** `grafana.admin` chart values reading the login from this Secret. */
  public readonly values: GrafanaAdminValues;

  public constructor(scope: Construct, id: string, props: GrafanaAdminSecretProps) {
    super(scope, id);
    const where = `GrafanaAdminSecret ${this.node.path}`;
    const namespace = checkNamespace(where, 'namespace', props.namespace);
    this.secretName = checkObjectName(where, 'name', props.name ?? 'grafana-admin', 63);
    const user = props.user ?? 'admin';
    if (typeof user !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
      throw new Error(`${where}: user: got ${JSON.stringify(user)}; expected a login of 1-64 letters, digits, '.', '_', '@' or '-'`);
    }
    const backend = new SecretsBackend(this, 'secrets', { namespace, provider: props.provider, labels: props.labels });
    backend.secret(this.secretName, [GRAFANA_ADMIN_KEYS.password], { plain: { [GRAFANA_ADMIN_KEYS.user]: user } });
    this.values = { existingSecret: this.secretName, userKey: GRAFANA_ADMIN_KEYS.user, passwordKey: GRAFANA_ADMIN_KEYS.password };
  }
}

/**
 * The objects of a {@link GrafanaAdminSecret} as plain manifests plus the `grafana.admin` values,
 * for shipping inside the kube-prometheus-stack release (its `extraManifests`): the Secret then
 * exists as soon as Grafana does, in the namespace the release creates, whether the chart is
 * installed by `helm upgrade --install --wait` (kind) or by Argo CD.
 */
export function grafanaAdminManifests(props: GrafanaAdminSecretProps): {
  readonly manifests: ReadonlyArray<Record<string, unknown>>;
  readonly values: GrafanaAdminValues;
} {
  const chart = new Chart(new App(), 'grafana-admin', { disableResourceNameHashes: true });
  const secret = new GrafanaAdminSecret(chart, 'grafana-admin', props);
  return { manifests: chart.toJson() as Array<Record<string, unknown>>, values: secret.values };
}
