import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { readAsset } from '../../core/assets';
import { dns1035Label, dnsSubdomain, pinnedImage } from '../../core/formats';
import { componentLabels, ComponentIdentity, selectorLabels } from '../../core/labels';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { checkFormat, SECRET_KEY } from '../storage/object-storage';
import { renderContainer, ResourceSpec, SecretKeyRef } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { contentHashedName, MAX_HASHED_JOB_BASE_NAME, syncHookJob } from '../workloads/sync-hook-job';
import { SearchSetupStep } from './search-requests';

/** A server the Job talks to: its URL and the graph component and port that let it through. */
export interface SearchEndpoint {
  /** Base URL, e.g. `https://elasticsearch:9200`. */
  readonly url: string;
  /** The server's pods in the stack's graph. */
  readonly component: GraphComponent;
  /** Port name or number of `component` the URL reaches. */
  readonly port: string | number;
}

export interface SearchSetupProps {
  readonly namespace: string;
  readonly partOf: string;
  /**
   * Base name of the Job (which gets `-<hash of its inputs>`), its ConfigMap and ServiceAccount, and
   * its graph component. A DNS-1035 label of at most 54 characters.
   * @default 'search-setup'
   */
  readonly name?: string;
  readonly elasticsearch: SearchEndpoint;
  /** Kibana, required when a step is a data view. @default - none */
  readonly kibana?: SearchEndpoint;
  /** User for both servers. @default - no authentication */
  readonly username?: string;
  /** Its password, from a Secret. Required with `username`. */
  readonly password?: SecretKeyRef;
  /** Secret holding the CA (key `ca.crt`) that signed the servers' certificates. @default - the image's system CAs */
  readonly caSecret?: string;
  /** What to make exist, applied in this order. */
  readonly steps: readonly SearchSetupStep[];
  /** Pinned image with `sh` and `curl`. */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** Retries before the Job fails. @default 6 (Elasticsearch may still be forming its cluster) */
  readonly backoffLimit?: number;
  /** Hard time limit of the Job, seconds. @default 900 */
  readonly activeDeadlineSeconds?: number;
  /** Seconds a finished Job (and its pod's logs) is kept. @default 86400 */
  readonly ttlSecondsAfterFinished?: number;
  /** How long the script waits for each server to answer, seconds. @default 300 */
  readonly waitSeconds?: number;
}

const CONFIG_DIR = '/config';
const SCRIPT = 'search-setup.sh';
const CA_DIR = '/etc/search-ca';
const UID = 1000;
const MAX_BASE_NAME = MAX_HASHED_JOB_BASE_NAME;
/** Names of native users and roles (Elasticsearch: 1-507 printable characters; we keep to the unambiguous ones). */
const SECURITY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,506}$/;
/** Elasticsearch's built-in roles a user step may name without declaring them. */
export const BUILT_IN_ROLES: readonly string[] = [
  'superuser',
  'kibana_admin',
  'viewer',
  'editor',
  'monitoring_user',
  'remote_monitoring_agent',
];
/** Names Elasticsearch accepts for policies, templates and repositories (lowercase, no separators it reserves). */
const ES_NAME = /^[a-z0-9][a-z0-9._-]{0,254}$/;

/** The script of every SearchSetup (also what the tests run). */
export function searchSetupScript(): string {
  return readAsset(__dirname, `assets/${SCRIPT}`);
}

/** Environment variable that carries the password of a `user` or `password` step for `name`. */
export function passwordVariable(name: string): string {
  return `PASSWORD_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The plan line and body file of a step: `<step> <target> <path> <file> [<password variable>]`.
 * Users and passwords are `putpw`: the script adds `"password"` from the variable to the body.
 */
function planEntry(step: SearchSetupStep): { line: string; file: string; body: unknown } {
  switch (step.kind) {
    case 'ilm-policy':
      return { line: `put es /_ilm/policy/${step.name}`, file: `ilm-policy.${step.name}.json`, body: step.body };
    case 'index-template':
      return { line: `put es /_index_template/${step.name}`, file: `index-template.${step.name}.json`, body: step.body };
    case 'snapshot-repository':
      return { line: `put es /_snapshot/${step.name}`, file: `snapshot-repository.${step.name}.json`, body: step.body };
    case 'slm-policy':
      return { line: `put es /_slm/policy/${step.name}`, file: `slm-policy.${step.name}.json`, body: step.body };
    case 'data-view':
      // `create` finds the view by the file name: the id.
      return { line: 'create kibana /api/data_views/data_view', file: `${step.body.data_view.id}.json`, body: step.body };
    case 'role':
      return { line: `put es /_security/role/${step.name}`, file: `role.${step.name}.json`, body: step.body };
    case 'user':
      return { line: `putpw es /_security/user/${step.name}`, file: `user.${step.name}.json`, body: step.body };
    case 'password':
      return { line: `putpw es /_security/user/${step.name}/_password`, file: `password.${step.name}.json`, body: {} };
  }
}

/**
 * An idempotent Job that makes Elasticsearch's roles and native users (passwords from Secrets,
 * passed by environment variables and added to the body at run time, never in the ConfigMap), the
 * passwords of built-in users such as `kibana_system`, ILM policies, index templates, snapshot
 * repository and snapshot lifecycle policy, and Kibana's data views, exist as declared
 * (assets/search-setup.sh, POSIX sh and curl). Each request body is a JSON file of its ConfigMap, typed in TypeScript against
 * the official client's request types ({@link SearchSetupStep}), never generated shell.
 *
 * The steps are checked at synth: names Elasticsearch accepts, no name twice, a template's
 * `index.lifecycle.name` declared before it, an SLM policy's repository declared before it, a
 * user's roles declared before it (or built in), data views only with `kibana`. The Job's name
 * carries a hash of everything it does, and it is an Argo CD Sync hook (see BucketSetup for why both). Restricted pod (uid 1000, read-only root, `/tmp`
 * emptyDir), its own ServiceAccount without a token; `setup.addTo(graph)` lets it reach the servers.
 */
export class SearchSetup extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>> = {};
  /** The Job's name: `<name>-<hash of its inputs>`. */
  public readonly jobName: string;
  public readonly job: k8s.KubeJob;
  public readonly configMap: k8s.KubeConfigMap;
  /** The plan the script follows, one step a line. */
  public readonly plan: readonly string[];
  private readonly endpoints: readonly SearchEndpoint[];

  constructor(scope: Construct, id: string, props: SearchSetupProps) {
    super(scope, id);
    const name = props.name ?? 'search-setup';
    validateProps(name, props);
    this.name = name;
    this.endpoints = [props.elasticsearch, ...(props.kibana ? [props.kibana] : [])];

    const files: Record<string, string> = { [SCRIPT]: searchSetupScript() };
    const passwords: Record<string, SecretKeyRef> = {};
    const plan = props.steps.map((step) => {
      const entry = planEntry(step);
      files[entry.file] = `${JSON.stringify(entry.body, null, 2)}\n`;
      if (step.kind !== 'user' && step.kind !== 'password') return `${entry.line} ${entry.file}`;
      const variable = passwordVariable(step.name);
      passwords[variable] = step.password;
      return `${entry.line} ${entry.file} ${variable}`;
    });
    files.plan = `${plan.join('\n')}\n`;
    this.plan = plan;

    const identity: ComponentIdentity = { name, partOf: props.partOf, component: 'search-setup' };
    const labels = componentLabels(identity);
    this.podLabels = selectorLabels(identity);
    this.configMap = new k8s.KubeConfigMap(this, 'config', { metadata: { name, namespace: props.namespace, labels }, data: files });
    const serviceAccount = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });

    const env: Record<string, string> = {
      CONFIG_DIR,
      ES_URL: props.elasticsearch.url,
      ...(props.kibana ? { KIBANA_URL: props.kibana.url } : {}),
      ...(props.username ? { ES_USERNAME: props.username } : {}),
      ...(props.caSecret ? { CA_FILE: `${CA_DIR}/ca.crt` } : {}),
      WAIT_SECONDS: String(props.waitSeconds ?? 300),
      TMPDIR: '/tmp',
    };
    const secretEnv: Record<string, SecretKeyRef> = { ...(props.password ? { ES_PASSWORD: props.password } : {}), ...passwords };
    const container = renderContainer({
      name: 'setup',
      image: props.image,
      runAs: { user: UID },
      resources: props.resources,
      command: ['sh', `${CONFIG_DIR}/${SCRIPT}`],
      env,
      secretEnv,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
        ...(props.caSecret ? [{ name: 'ca', mountPath: CA_DIR, readOnly: true }] : []),
      ],
    });
    const template = renderPodTemplate({
      labels,
      selector: this.podLabels,
      runAs: { user: UID },
      serviceAccountName: serviceAccount.name,
      containers: [container],
      volumes: [
        { name: 'config', configMap: { name: this.configMap.name, defaultMode: 0o444 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
        ...(props.caSecret
          ? [{ name: 'ca', secret: { secretName: props.caSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 } }]
          : []),
      ],
      restartPolicy: 'Never',
    });

    this.jobName = contentHashedName(name, {
      files,
      env,
      secretEnv,
      image: props.image,
      resources: props.resources,
      caSecret: props.caSecret,
    });
    this.job = syncHookJob(this, 'job', {
      name: this.jobName,
      namespace: props.namespace,
      labels,
      backoffLimit: props.backoffLimit ?? 6,
      activeDeadlineSeconds: props.activeDeadlineSeconds ?? 900,
      ttlSecondsAfterFinished: props.ttlSecondsAfterFinished ?? 86400,
      template,
    });
  }

  /** Adds the Job's pods to the graph and lets them reach Elasticsearch (and Kibana). */
  public addTo(graph: ServiceGraph): void {
    graph.addComponent(this);
    for (const e of this.endpoints) graph.allow(this, e.component, e.port);
  }
}

function expectPasswordRef(where: string, field: string, ref: SecretKeyRef | undefined): void {
  checkFormat(where, `${field}.secret`, ref?.secret, dnsSubdomain);
  checkFormat(where, `${field}.key`, ref?.key, SECRET_KEY);
}

function validateProps(name: string, props: SearchSetupProps): void {
  const where = `SearchSetup '${name}'`;
  checkFormat(where, 'name', name, dns1035Label);
  if (name.length > MAX_BASE_NAME)
    throw new Error(
      `${where}: name '${name}' has ${name.length} characters; expected at most ${MAX_BASE_NAME} (the Job's name adds a hash)`,
    );
  checkFormat(where, 'image', props.image, pinnedImage);
  for (const [field, endpoint] of [
    ['elasticsearch', props.elasticsearch],
    ['kibana', props.kibana],
  ] as const) {
    if (endpoint && !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(endpoint.url))
      throw new Error(`${where}: ${field}.url '${endpoint.url}' is invalid; expected http(s)://<host>[:<port>] without a path`);
  }
  if ((props.username === undefined) !== (props.password === undefined))
    throw new Error(
      `${where}: username and password go together; got ${props.username === undefined ? 'a password without a username' : `username '${props.username}' without a password`}`,
    );
  if (props.steps.length === 0) throw new Error(`${where}: steps is empty; expected at least one step`);

  const declared = new Map<string, string>();
  props.steps.forEach((step, i) => {
    const field = `steps[${i}]`;
    if (step.kind === 'user' || step.kind === 'password' || step.kind === 'role') {
      if (!SECURITY_NAME.test(step.name))
        throw new Error(
          `${where}: ${field}.name '${step.name}' is invalid; expected 1-507 letters, digits, '_', '-', '.' and '@', starting with a letter, digit or '_'`,
        );
      const key = `${step.kind === 'role' ? 'role' : 'user'}/${step.name}`;
      if (declared.has(key)) throw new Error(`${where}: ${field}: ${key.replace('/', " '")}' is already ${declared.get(key)}`);
      declared.set(key, field);
      if (step.kind !== 'role') expectPasswordRef(where, `${field}.password`, step.password);
      if (step.kind === 'user')
        for (const role of step.body.roles)
          if (!declared.has(`role/${role}`) && !BUILT_IN_ROLES.includes(role))
            throw new Error(
              `${where}: ${field}: user '${step.name}' has role '${role}', which no earlier step declares and is not one of Elasticsearch's built-in roles (${BUILT_IN_ROLES.join(', ')}); declare the role first`,
            );
      return;
    }
    if (step.kind === 'data-view') {
      if (!props.kibana) throw new Error(`${where}: ${field} is a data view but kibana is not set; expected kibana with a data-view step`);
      const id = step.body.data_view.id;
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id))
        throw new Error(
          `${where}: ${field}.body.data_view.id '${id}' is invalid; expected lowercase letters, digits and '-' (it names a file)`,
        );
      if (declared.has(`data-view/${id}`)) throw new Error(`${where}: ${field}: data view '${id}' is declared twice`);
      declared.set(`data-view/${id}`, field);
      return;
    }
    if (!ES_NAME.test(step.name))
      throw new Error(
        `${where}: ${field}.name '${step.name}' is invalid; expected lowercase letters, digits, '.', '_' and '-', not starting with a symbol`,
      );
    const key = `${step.kind}/${step.name}`;
    if (declared.has(key)) throw new Error(`${where}: ${field}: ${step.kind} '${step.name}' is already ${declared.get(key)}`);
    if (step.kind === 'index-template') {
      const settings: Readonly<Record<string, unknown>> | undefined = step.body.template?.settings;
      const policy = settings?.['index.lifecycle.name'];
      if (typeof policy === 'string' && !declared.has(`ilm-policy/${policy}`))
        throw new Error(
          `${where}: ${field}: index template '${step.name}' uses ILM policy '${policy}', which no earlier step declares; declare the ilm-policy first`,
        );
    }
    if (step.kind === 'slm-policy' && !declared.has(`snapshot-repository/${step.body.repository}`))
      throw new Error(
        `${where}: ${field}: SLM policy '${step.name}' writes to repository '${step.body.repository}', which no earlier step declares; declare the snapshot-repository first`,
      );
    declared.set(key, field);
  });
}
