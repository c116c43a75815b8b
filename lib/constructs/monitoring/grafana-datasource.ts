import { stringify } from 'yaml';

/** Options of {@link elasticsearchDatasource}. */
export interface ElasticsearchDatasourceOptions {
  /** Display name in Grafana. */
  readonly name: string;
  /** Fixed uid, so dashboards can refer to the datasource. */
  readonly uid: string;
  /** Base URL of Elasticsearch's HTTP API: `https://` with {@link caCertTemplate}, `http://` without. */
  readonly url: string;
  /**
   * The CA certificate (PEM) that verifies an `https://` cluster, as an External Secrets template
   * expression (e.g. `{{ .CA_CERT | toJson }}`) rendered in the cluster from a key copied next to
   * the password. Grafana then checks the server's certificate against it and its host name
   * against the URL's.
   * @default - none: plain HTTP only
   */
  readonly caCertTemplate?: string;
  /** Basic-auth user. */
  readonly username: string;
  /**
   * The password as an External Secrets template expression (e.g. `{{ .PASSWORD | toJson }}`),
   * rendered in the cluster: never a value.
   */
  readonly passwordTemplate: string;
  /** Index patterns the datasource searches. */
  readonly indices: readonly string[];
  /** @default '@timestamp' */
  readonly timeField?: string;
  /** Field with the log line (Grafana's logs panel). @default 'message' */
  readonly messageField?: string;
  /** Field with the level. @default 'level' */
  readonly levelField?: string;
}

const UID = /^[a-zA-Z0-9_-]{1,40}$/;
const TEMPLATE = /^\{\{ *\.[A-Za-z_][A-Za-z0-9_]*( *\| *toJson)? *\}\}$/;

/**
 * A Grafana datasource provisioning file (apiVersion 1) for Elasticsearch logs: basic auth with a
 * password that External Secrets renders from its Secret (the file is a template key of that
 * Secret, picked up by Grafana's datasource sidecar), not editable in the UI.
 * The password is quoted by the template (`toJson`), so any value stays valid YAML.
 */
export function elasticsearchDatasource(o: ElasticsearchDatasourceOptions): string {
  const where = 'elasticsearchDatasource';
  if (!UID.test(o.uid)) throw new Error(`${where}: uid '${o.uid}'; expected 1-40 letters, digits, '-' and '_'`);
  const tls = o.caCertTemplate !== undefined;
  if (!new RegExp(`^${tls ? 'https' : 'http'}://[a-z0-9.-]+(:\\d{1,5})?$`).test(o.url))
    throw new Error(
      tls
        ? `${where}: url '${o.url}' with caCertTemplate; expected https://<host>[:<port>] (the CA verifies a TLS cluster)`
        : `${where}: url '${o.url}'; expected http://<host>[:<port>], or https:// with caCertTemplate (the CA that verifies it)`,
    );
  if (tls && !TEMPLATE.test(o.caCertTemplate))
    throw new Error(
      `${where}: caCertTemplate '${o.caCertTemplate}'; expected an External Secrets reference such as '{{ .CA_CERT | toJson }}'`,
    );
  if (!TEMPLATE.test(o.passwordTemplate))
    throw new Error(
      `${where}: passwordTemplate '${o.passwordTemplate}'; expected an External Secrets reference such as '{{ .PASSWORD | toJson }}'`,
    );
  if (o.indices.length === 0) throw new Error(`${where}: indices is empty; expected at least one index pattern such as 'logs-*'`);
  const text = stringify({
    apiVersion: 1,
    datasources: [
      {
        name: o.name,
        uid: o.uid,
        type: 'elasticsearch',
        access: 'proxy',
        url: o.url,
        basicAuth: true,
        basicAuthUser: o.username,
        editable: false,
        jsonData: {
          index: o.indices.join(','),
          timeField: o.timeField ?? '@timestamp',
          logMessageField: o.messageField ?? 'message',
          logLevelField: o.levelField ?? 'level',
          ...(tls ? { tlsAuthWithCACert: true } : {}),
        },
        secureJsonData: { basicAuthPassword: '@password@', ...(tls ? { tlsCACert: '@ca@' } : {}) },
      },
    ],
  });
  // The template expressions go in unquoted: their toJson output is the quoted YAML scalar
  // (a JSON string, so a multi-line PEM stays one valid scalar).
  const out = text.replace(/["']?@password@["']?/, o.passwordTemplate);
  return tls ? out.replace(/["']?@ca@["']?/, o.caCertTemplate) : out;
}
