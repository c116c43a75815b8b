/**
 * A small stack synthesized for two environments, used by the Helm writer tests.
 *
 * dev vs prod differ in: replicas, image tag, memory limit, database address
 * (bound values); the Service's type and annotations (differences the writer
 * turns into derived values); the `mailhog` Deployment exists only in dev (gated).
 * The `alerts` ConfigMap carries literal `{{ ... }}` text, multi-line strings
 * and YAML-1.1-ambiguous strings that must survive templating untouched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { HelmValues, HelmValueSchema } from '../../lib/output/helm';

export type TestEnvName = 'dev' | 'prod';

export interface TestEnvConfig {
  readonly replicas: number;
  readonly tag: string;
  readonly memoryLimit: string;
  readonly dbHost: string;
  readonly dbPort: number;
}

export const TEST_ENVS: Record<TestEnvName, TestEnvConfig> = {
  // '1.10' would become the number 1.1 if written unquoted: checks the values files' quoting.
  dev: { replicas: 1, tag: '1.10', memoryLimit: '256Mi', dbHost: 'postgres.shop-dev.svc', dbPort: 5432 },
  prod: { replicas: 3, tag: '2.4.1', memoryLimit: '1Gi', dbHost: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com', dbPort: 6432 },
};

export const SCHEMAS = {
  replicas: { type: 'integer', minimum: 0, maximum: 50, description: 'Replica count' },
  repository: { type: 'string', pattern: '^[a-z0-9]+([._/:-][a-z0-9]+)*$', description: 'Image repository' },
  tag: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', description: 'Image tag' },
  memory: { type: 'string', pattern: '^[0-9]+(Ki|Mi|Gi)$', description: "Memory quantity such as '256Mi'" },
  host: { type: 'string', description: 'Database host' },
  port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Database port' },
  automount: { type: 'boolean', description: 'Mount the service account token' },
  logLevel: { type: 'string', enum: ['debug', 'info', 'warn'], description: 'Log level' },
} satisfies Record<string, HelmValueSchema>;

/** The test stack. All Helm bindings are declared the way library constructs would. */
export class ShopStack extends Chart {
  public readonly api: k8s.KubeDeployment;
  public readonly config: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, envName: TestEnvName) {
    super(scope, id, { namespace: 'shop', disableResourceNameHashes: true, labels: { 'app.kubernetes.io/part-of': 'shop' } });
    const env = TEST_ENVS[envName];
    const labels = { 'app.kubernetes.io/name': 'api' };
    const values = HelmValues.of(this);

    this.config = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'api-config' },
      data: {
        DATABASE_ADDR: `${env.dbHost}:${env.dbPort}`,
        LOG_LEVEL: envName === 'dev' ? 'debug' : 'info',
      },
    });
    values.bindTemplate(this.config, '/data/DATABASE_ADDR', '{host}:{port}', {
      host: { path: 'database.host', schema: SCHEMAS.host },
      port: { path: 'database.port', schema: SCHEMAS.port },
    });
    values.bind(this.config, '/data/LOG_LEVEL', 'api.logLevel', SCHEMAS.logLevel);

    this.api = new k8s.KubeDeployment(this, 'api', {
      metadata: { name: 'api' },
      spec: {
        replicas: env.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'api',
                image: `registry.example.com:5000/shop/api:${env.tag}`,
                envFrom: [{ configMapRef: { name: this.config.name } }],
                ports: [{ name: 'http', containerPort: 8080 }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
                  limits: { memory: k8s.Quantity.fromString(env.memoryLimit) },
                },
              },
            ],
          },
        },
      },
    });
    values.bind(this.api, '/spec/replicas', 'api.replicas', SCHEMAS.replicas);
    values.bindTemplate(this.api, '/spec/template/spec/containers/0/image', '{repository}:{tag}', {
      repository: { path: 'api.image.repository', schema: SCHEMAS.repository },
      tag: { path: 'api.image.tag', schema: SCHEMAS.tag },
    });
    values.bind(this.api, '/spec/template/spec/containers/0/resources/limits/memory', 'api.resources.memoryLimit', SCHEMAS.memory);
    values.bind(this.api, '/spec/template/spec/automountServiceAccountToken', 'api.automountServiceAccountToken', SCHEMAS.automount);

    // Structural difference: prod gets a LoadBalancer with annotations.
    new k8s.KubeService(this, 'service', {
      metadata: {
        name: 'api',
        annotations: envName === 'prod' ? { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } : undefined,
      },
      spec: {
        type: envName === 'prod' ? 'LoadBalancer' : 'ClusterIP',
        selector: labels,
        ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http') }],
      },
    });

    // Identical in both environments, with text that looks like templates / YAML 1.1 scalars.
    new k8s.KubeConfigMap(this, 'alerts', {
      metadata: { name: 'alerts' },
      data: {
        'summary.tmpl': 'Instance {{ $labels.instance }} is down ({{ printf "%.2f" $value }})\n{{- range . }}x{{ end }}\n',
        braces: '{{{{ raw }}}} and }} and {{',
        yes: 'yes',
        octal: '0755',
        time: '12:30',
        empty: '',
        quotes: 'it\'s "quoted" \\ back',
        unicode: 'déjà vu ✓',
      },
    });

    // Dev-only object with its own value.
    if (envName === 'dev') {
      const mailhog = new k8s.KubeDeployment(this, 'mailhog', {
        metadata: { name: 'mailhog' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { 'app.kubernetes.io/name': 'mailhog' } },
          template: {
            metadata: { labels: { 'app.kubernetes.io/name': 'mailhog' } },
            spec: { containers: [{ name: 'mailhog', image: 'mailhog/mailhog:v1.0.1' }] },
          },
        },
      });
      values.bind(mailhog, '/spec/replicas', 'mailhog.replicas', SCHEMAS.replicas);
    }
  }
}

/** A fresh app + ShopStack for `envName` (one App per environment, like the real build). */
export function shopStack(envName: TestEnvName): ShopStack {
  return new ShopStack(testApp(), 'shop', envName);
}

/**
 * A fresh App for tests. Unlike `Testing.app()` it creates no temporary
 * outdir (the charts are only turned into JSON, never synthesized to disk).
 */
export function testApp(): App {
  return new App({ outdir: path.join(os.tmpdir(), 'cdk8s-helm-tests-unused') });
}

/** A fresh empty Chart in its own App (`Testing.chart()` without the temp folder). */
export function testChart(id = 'test'): Chart {
  return new Chart(testApp(), id);
}

/** A fresh temporary folder; the caller's afterAll should remove it. */
export function tempDir(prefix = 'helm-writer-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
