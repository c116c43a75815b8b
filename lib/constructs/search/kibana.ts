import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { dnsSubdomain, Format, pinnedImage } from '../../core/formats';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { checkFormat, SECRET_KEY } from '../storage/object-storage';
import { ResourceSpec, SecretKeyRef } from '../workloads/container';
import { WebService } from '../workloads/web-service';
import { SearchEndpoint } from './search-setup';

/** The Elasticsearch cluster Kibana stores its state in and reads logs from. */
export interface KibanaElasticsearch {
  /** Base URL of the HTTP API, e.g. `https://elasticsearch.shop.svc.cluster.local:9200`. */
  readonly url: string;
  /** Secret whose `ca.crt` verifies the HTTP certificate (required with an `https` URL). @default - none */
  readonly caSecretName?: string;
}

/** Keys Kibana encrypts with, each from a Secret (at least 32 characters). */
export interface KibanaEncryptionKeys {
  /** `xpack.encryptedSavedObjects.encryptionKey`: alerting rules, connectors and other saved objects with secrets. */
  readonly savedObjects: SecretKeyRef;
  /** `xpack.security.encryptionKey`: session cookies (fixed, so sessions survive a restart and work across replicas). */
  readonly security: SecretKeyRef;
  /** `xpack.reporting.encryptionKey`: reporting job headers. */
  readonly reporting: SecretKeyRef;
}

export interface KibanaProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Names the Deployment, Service and ConfigMap. @default 'kibana' */
  readonly name?: string;
  /** docker.elastic.co/kibana/kibana, pinned (the same version as Elasticsearch). */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** @default 1 */
  readonly replicas?: number;
  readonly elasticsearch: KibanaElasticsearch;
  /** Password of the built-in `kibana_system` user (set in Elasticsearch by the search setup Job). */
  readonly systemPassword: SecretKeyRef;
  readonly encryptionKeys: KibanaEncryptionKeys;
  /** `server.publicBaseUrl`: the URL users open (an Ingress host, or `http://localhost:5601` through a port-forward). */
  readonly publicBaseUrl: string;
  /** @default false */
  readonly spreadAcrossZones?: boolean;
  /** Seconds Kibana may take to start (it migrates its saved objects first). @default 300 */
  readonly startupSeconds?: number;
}

export const KIBANA_PORT = 5601;
/** `kibana` in the official image. */
export const KIBANA_UID = 1000;
/** The built-in user Kibana's server connects to Elasticsearch as. */
export const KIBANA_SYSTEM_USER = 'kibana_system';

const HOME = '/usr/share/kibana';
const CA_DIR = `${HOME}/config/certs`;
const PUBLIC_URL: Format = {
  expected: "an http(s) URL without a trailing '/', such as 'https://kibana.example.com' or 'http://localhost:5601'",
  pattern: '^https?://[a-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$',
  test: (v: unknown): v is string => typeof v === 'string' && /^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~-]+)*$/.test(v),
};
/** Secret values reach kibana.yml as `${VAR}` references that Kibana resolves from its environment at start. */
const ENV = {
  systemPassword: 'KIBANA_SYSTEM_PASSWORD',
  savedObjects: 'KIBANA_ENCRYPTED_SAVED_OBJECTS_KEY',
  security: 'KIBANA_SECURITY_KEY',
  reporting: 'KIBANA_REPORTING_KEY',
} as const;

/** kibana.yml as an object: only references to secret values, never the values. */
export function kibanaSettings(props: KibanaProps, name: string): Record<string, unknown> {
  const tls = props.elasticsearch.url.startsWith('https://');
  return {
    'server.name': name,
    'server.host': '0.0.0.0',
    'server.port': KIBANA_PORT,
    'server.publicBaseUrl': props.publicBaseUrl,
    'elasticsearch.hosts': [props.elasticsearch.url],
    'elasticsearch.username': KIBANA_SYSTEM_USER,
    'elasticsearch.password': `\${${ENV.systemPassword}}`,
    ...(tls ? { 'elasticsearch.ssl.certificateAuthorities': [`${CA_DIR}/ca.crt`], 'elasticsearch.ssl.verificationMode': 'full' } : {}),
    'xpack.encryptedSavedObjects.encryptionKey': `\${${ENV.savedObjects}}`,
    'xpack.security.encryptionKey': `\${${ENV.security}}`,
    'xpack.reporting.encryptionKey': `\${${ENV.reporting}}`,
    // The probes call /api/status without credentials: it then answers only the overall level (no details).
    'status.allowAnonymous': true,
    // Nothing leaves the cluster.
    'telemetry.optIn': false,
    'telemetry.allowChangingOptInStatus': false,
    'path.data': `${HOME}/data`,
  };
}

/**
 * Kibana on the official image as a {@link WebService}: restricted pod (uid 1000, read-only root,
 * emptyDirs for `data` and `/tmp`), kibana.yml rendered with `yaml` from the props and mounted over
 * the image's file. Kibana's server connects as `kibana_system` (its password from a Secret), over
 * TLS verified against the cluster's CA when the URL is `https`; the three encryption keys come from
 * Secrets. Secret values reach kibana.yml only as `${VAR}` references Kibana resolves from its
 * environment, so none is in the output.
 *
 * Probes: readiness and startup on `/api/status` (anonymous, `status.allowAnonymous`: the overall
 * level only; 503 while Elasticsearch is unreachable, so the pod leaves the endpoints), liveness on
 * `/login` (served by Kibana itself, so an Elasticsearch outage does not restart Kibana).
 * No TLS on 5601: an Ingress terminates it, or a port-forward reaches it. Kibana exposes no
 * Prometheus metrics. {@link addToGraph} lets Kibana reach Elasticsearch.
 */
export class Kibana extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>>;
  public readonly service: WebService;
  /** `http://<name>.<namespace>.svc.cluster.local:5601`. */
  public readonly url: string;
  /** The rendered kibana.yml, as an object. */
  public readonly settings: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: KibanaProps) {
    super(scope, id);
    const name = props.name ?? 'kibana';
    validateProps(name, props);
    this.settings = kibanaSettings(props, name);
    const ca = props.elasticsearch.caSecretName;
    this.service = new WebService(this, 'service', {
      namespace: props.namespace,
      name,
      partOf: props.partOf,
      component: 'search-ui',
      image: props.image,
      port: KIBANA_PORT,
      runAs: { user: KIBANA_UID },
      resources: props.resources,
      replicas: props.replicas ?? 1,
      spreadAcrossZones: props.spreadAcrossZones,
      readinessPath: '/api/status',
      livenessPath: '/login',
      startupPath: '/api/status',
      startupSeconds: props.startupSeconds ?? 300,
      configs: [{ path: `${HOME}/config`, asFiles: true, files: { 'kibana.yml': stringify(this.settings) } }],
      ...(ca ? { secretFiles: [{ path: CA_DIR, secretName: ca, keys: ['ca.crt'] }] } : {}),
      writablePaths: [
        { path: `${HOME}/data`, sizeLimit: '256Mi' },
        { path: '/tmp', sizeLimit: '256Mi' },
      ],
      secretEnv: {
        [ENV.systemPassword]: props.systemPassword,
        [ENV.savedObjects]: props.encryptionKeys.savedObjects,
        [ENV.security]: props.encryptionKeys.security,
        [ENV.reporting]: props.encryptionKeys.reporting,
      },
    });
    this.name = this.service.name;
    this.podLabels = this.service.podLabels;
    this.ports = this.service.ports;
    this.url = `http://${this.service.host}:${KIBANA_PORT}`;
  }

  /** Kibana as a SearchSetup endpoint (data views). */
  public searchEndpoint(): SearchEndpoint {
    return { url: this.url, component: this, port: 'http' };
  }

  /** Adds Kibana to the graph and lets it reach Elasticsearch's HTTP port. */
  public addToGraph(graph: ServiceGraph, elasticsearch: SearchEndpoint): void {
    graph.addComponent(this);
    graph.allow(this, elasticsearch.component, elasticsearch.port);
  }
}

function validateProps(name: string, p: KibanaProps): void {
  const where = `Kibana '${name}'`;
  checkFormat(where, 'image', p.image, pinnedImage);
  checkFormat(where, 'publicBaseUrl', p.publicBaseUrl, PUBLIC_URL);
  const url = p.elasticsearch.url;
  if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(url))
    throw new Error(`${where}: elasticsearch.url '${url}' is invalid; expected http(s)://<host>[:<port>] without a path`);
  if (url.startsWith('https://') && !p.elasticsearch.caSecretName)
    throw new Error(
      `${where}: elasticsearch.url '${url}' is https but elasticsearch.caSecretName is not set; expected the Secret whose ca.crt verifies the cluster's certificate`,
    );
  if (p.elasticsearch.caSecretName !== undefined)
    checkFormat(where, 'elasticsearch.caSecretName', p.elasticsearch.caSecretName, dnsSubdomain);
  const refs: Array<[string, SecretKeyRef | undefined]> = [
    ['systemPassword', p.systemPassword],
    ['encryptionKeys.savedObjects', p.encryptionKeys?.savedObjects],
    ['encryptionKeys.security', p.encryptionKeys?.security],
    ['encryptionKeys.reporting', p.encryptionKeys?.reporting],
  ];
  for (const [field, ref] of refs) {
    checkFormat(where, `${field}.secret`, ref?.secret, dnsSubdomain);
    checkFormat(where, `${field}.key`, ref?.key, SECRET_KEY);
  }
  const replicas = p.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${where}: replicas ${replicas}; expected an integer >= 1`);
  if (p.startupSeconds !== undefined && (!Number.isInteger(p.startupSeconds) || p.startupSeconds < 1))
    throw new Error(`${where}: startupSeconds ${p.startupSeconds}; expected an integer >= 1`);
}
