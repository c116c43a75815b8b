import { Construct } from 'constructs';
import { dns1035Label, dnsSubdomain, pinnedImage } from '../../core/formats';
import { StatefulStore, StorageSpec } from '../data/stateful-store';
import { ResourceSpec, SecretKeyRef } from '../workloads/container';
import { checkFormat, S3Credentials, SECRET_KEY } from './object-storage';
import { S3CompatibleServer, S3CompatibleStorage } from './s3-compatible-storage';

/** Where a server runs: `development` allows dev tools (the web console); `production` refuses them. */
export type ServerEnvironment = 'development' | 'production';

export interface MinioServerProps {
  readonly namespace: string;
  /** Names the StatefulSet, headless Service, ServiceMonitor and graph component (a DNS-1035 label). @default 'minio' */
  readonly name?: string;
  readonly partOf: string;
  /** Pinned MinIO server image (see the class comment for which one and why). */
  readonly image: string;
  /**
   * The root user and its password, each from a Secret (`MINIO_ROOT_USER`, `MINIO_ROOT_PASSWORD`;
   * the password needs at least 8 characters, which MinIO checks at start). Never rendered.
   */
  readonly rootCredentials: { readonly user: SecretKeyRef; readonly password: SecretKeyRef };
  readonly resources: ResourceSpec;
  /** The data volume (one retained PVC). */
  readonly storage: StorageSpec;
  /** `release` label of the ServiceMonitor (the kube-prometheus-stack release). */
  readonly release: string;
  /** Serve the web console on port `console` (9001). Development only. @default false */
  readonly console?: boolean;
  /** Where it runs: `production` refuses the console. @default 'production' */
  readonly environment?: ServerEnvironment;
  /** Dotted prefix of its Helm values. @default - name in camelCase */
  readonly helmPrefix?: string;
}

/** The S3 API port: its name (the S3 client port, `S3CompatibleStorage`'s `port`) and number. */
export const MINIO_API_PORT = { name: 'api', number: 9000 } as const;
/** The web console port (only with `console: true`). */
export const MINIO_CONSOLE_PORT = { name: 'console', number: 9001 } as const;
/** Path of the cluster metrics (Prometheus format). */
export const MINIO_METRICS_PATH = '/minio/v2/metrics/cluster';

const MINIO_UID = 1000; // the image has no user of its own; any non-root uid owning the data volume works
const DATA_PATH = '/data';
const HOME = '/home/minio';

/**
 * A MinIO server (the seed's object store: S3 API on 9000, optional console on 9001) as a
 * single-replica {@link StatefulStore}: data on a retained PVC, root credentials from a Secret,
 * restricted pod with a read-only root filesystem (writable: the data volume, `/tmp` and its HOME,
 * where it keeps `.minio/certs`), probes on `/minio/health/live` and `/minio/health/ready`, and
 * Prometheus metrics from the server itself with a ServiceMonitor. It is an {@link S3CompatibleServer}:
 * `new S3CompatibleStorage({ server: minio, port: minio.s3Port, credentials })`, or {@link storage}.
 *
 * **Image decision.** MinIO's community edition became source-only in October 2025 (its security
 * release RELEASE.2025-10-15T17-29-55Z, the fix of CVE-2025-62506, was never published as an
 * image), its repository was archived later, and the `minio/minio` repository has since gone from
 * Docker Hub; quay.io still serves the published tags. The project rule is "pin the last public
 * release": `quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z` (config/images.ts `minio`), for
 * development clusters only (production uses Amazon S3). CVE-2025-62506 lets a restricted service
 * or STS account mint an unrestricted one; here only the root account exists, in a dev namespace
 * whose NetworkPolicies admit only the declared clients. If quay.io drops the tags too, the
 * replacement is a maintained S3-compatible server behind the same {@link S3CompatibleServer}
 * interface (RustFS, Apache-2.0, is the usual drop-in), as a construct of its own: its env, probes
 * and metrics differ from MinIO's.
 *
 * **Metrics are public** (`MINIO_PROMETHEUS_AUTH_TYPE=public`): Prometheus scrapes without a bearer
 * token, which would otherwise have to be minted with `mc admin prometheus generate` and kept in a
 * Secret. The metrics share the S3 port, which the stack's NetworkPolicies open only to Prometheus
 * and to declared S3 clients, and they expose counts and sizes, no object data and no keys; the
 * S3 API itself still requires signed requests.
 *
 * One replica: distributed MinIO needs four or more drives in erasure sets, which a dev cluster
 * does not need. Without the console, `MINIO_BROWSER=off` stops MinIO from opening it on a random port.
 */
export class MinioServer extends StatefulStore implements S3CompatibleServer {
  /** Name of the port serving the S3 API (`api`). */
  public readonly s3Port: string = MINIO_API_PORT.name;
  /** The root credentials as S3 credentials (access key = root user, secret key = root password). */
  public readonly rootCredentials: S3Credentials;
  /** Whether the console port is served. */
  public readonly consoleEnabled: boolean;

  constructor(scope: Construct, id: string, props: MinioServerProps) {
    const name = props.name ?? 'minio';
    const consoleEnabled = validateProps(name, props);
    const health = (path: string) => ({ httpGet: { path, port: MINIO_API_PORT.name } });
    super(scope, id, {
      namespace: props.namespace,
      name,
      partOf: props.partOf,
      component: 'object-storage',
      ports: {
        [MINIO_API_PORT.name]: MINIO_API_PORT.number,
        ...(consoleEnabled ? { [MINIO_CONSOLE_PORT.name]: MINIO_CONSOLE_PORT.number } : {}),
      },
      clientPort: MINIO_API_PORT.name,
      runAs: { user: MINIO_UID },
      dataPath: DATA_PATH,
      storage: props.storage,
      metrics: { port: MINIO_API_PORT.name, path: MINIO_METRICS_PATH },
      release: props.release,
      helmPrefix: props.helmPrefix,
      terminationGracePeriodSeconds: 30,
      container: {
        image: props.image,
        runAs: { user: MINIO_UID },
        resources: props.resources,
        command: ['minio'],
        args: [
          'server',
          DATA_PATH,
          '--address',
          `:${MINIO_API_PORT.number}`,
          ...(consoleEnabled ? ['--console-address', `:${MINIO_CONSOLE_PORT.number}`] : []),
        ],
        env: {
          HOME,
          MINIO_BROWSER: consoleEnabled ? 'on' : 'off',
          MINIO_PROMETHEUS_AUTH_TYPE: 'public',
        },
        secretEnv: { MINIO_ROOT_USER: props.rootCredentials.user, MINIO_ROOT_PASSWORD: props.rootCredentials.password },
        readiness: { ...health('/minio/health/ready'), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        liveness: { ...health('/minio/health/live'), periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
        startupSeconds: 120,
        writablePaths: [
          { path: '/tmp', sizeLimit: '64Mi' },
          { path: HOME, sizeLimit: '16Mi' },
        ],
      },
    });
    this.consoleEnabled = consoleEnabled;
    this.rootCredentials = { accessKeyId: props.rootCredentials.user, secretAccessKey: props.rootCredentials.password };
  }

  /**
   * This server as object storage for pods (endpoint `http://<host>:9000`, region `us-east-1`,
   * MinIO's default). The credentials default to the root account: in a dev namespace that is
   * what a bucket setup Job and the apps use; give apps their own keys where that matters.
   */
  public storage(credentials: S3Credentials = this.rootCredentials): S3CompatibleStorage {
    return new S3CompatibleStorage({ server: this, port: this.s3Port, credentials });
  }
}

/** Checks the props; returns whether the console is served. */
function validateProps(name: string, p: MinioServerProps): boolean {
  const where = `MinioServer '${name}'`;
  checkFormat(where, 'name', name, dns1035Label);
  checkFormat(where, 'image', p.image, pinnedImage);
  const environment = p.environment ?? 'production';
  if (environment !== 'development' && environment !== 'production')
    throw new Error(`${where}: environment '${String(environment)}'; expected 'development' or 'production'`);
  const consoleEnabled = p.console ?? false;
  if (typeof consoleEnabled !== 'boolean') throw new Error(`${where}: console '${String(consoleEnabled)}'; expected true or false`);
  if (consoleEnabled && environment === 'production')
    throw new Error(
      `${where}: console true with environment 'production'; expected console false in production (the web console is a ` +
        "development tool: it logs in with the root credentials), or environment 'development'",
    );
  for (const [field, ref] of [
    ['rootCredentials.user', p.rootCredentials?.user],
    ['rootCredentials.password', p.rootCredentials?.password],
  ] as const) {
    if (!ref) throw new Error(`${where}: ${field} is missing; expected a Secret key reference { secret, key }`);
    checkFormat(where, `${field}.secret`, ref.secret, dnsSubdomain);
    checkFormat(where, `${field}.key`, ref.key, SECRET_KEY);
  }
  return consoleEnabled;
}
