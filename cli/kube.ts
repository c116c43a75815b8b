/**
 * The @kubernetes/client-node adapter: reads the kubeconfig, picks the context, and
 * authenticates requests (client certificates, tokens, exec plugins such as `aws eks get-token`,
 * proxies). The requests themselves (server-side apply with a field manager and force, reads,
 * lists for polling) are rest-client.ts.
 *
 * client-node 1.x is ESM-only and this project compiles to CommonJS, so it is loaded with a real
 * dynamic import() that TypeScript does not rewrite into require(); its types are type-only
 * imports, erased at compile time.
 */
import * as fs from 'fs';
import type * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type * as ClientNode from '@kubernetes/client-node';
import { ExpectedCluster, KubeContextInfo, missingKubeconfigHint } from './context-guard';
import { CliError } from './errors';
import { RestCluster } from './rest-client';

type ClientNodeModule = typeof ClientNode;

// `new Function` keeps `import()` as is: tsc (module commonjs) would turn a plain import() into require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body, the only way to import ESM from CommonJS output
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let loaded: Promise<ClientNodeModule> | undefined;

/** Loads @kubernetes/client-node (once). Resolved from this project, whatever the working directory. */
export function loadClientNode(): Promise<ClientNodeModule> {
  if (!loaded) {
    loaded = (async () => {
      const entry = require.resolve('@kubernetes/client-node');
      return (await dynamicImport(pathToFileURL(entry).href)) as ClientNodeModule;
    })();
  }
  return loaded;
}

export interface ConnectOptions {
  /** Kubeconfig file; default $KUBECONFIG (several files merged), then ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  /** Context to use instead of the current one. */
  context?: string;
  /** Per-request timeout. */
  requestTimeoutMs?: number;
  /** The environment's cluster: with no kubeconfig at all, the hint says how to get its context. */
  cluster?: ExpectedCluster;
}

export interface Connection {
  cluster: RestCluster;
  /** The context in use. */
  context: KubeContextInfo;
  /** Every context of the kubeconfig (to suggest the right one). */
  contexts: KubeContextInfo[];
  /** Where the kubeconfig came from, for messages. */
  source: string;
}

function contextInfo(kc: ClientNode.KubeConfig, name: string): KubeContextInfo {
  const ctx = kc.getContextObject(name);
  const cluster = ctx ? kc.getCluster(ctx.cluster) : null;
  return { name, cluster: ctx?.cluster ?? '', server: cluster?.server ?? '' };
}

/** Loads the kubeconfig as kubectl would, or explains what is missing. */
function loadKubeConfig(k8s: ClientNodeModule, options: ConnectOptions): { kc: ClientNode.KubeConfig; source: string } {
  const kc = new k8s.KubeConfig();
  const load = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      throw new CliError(`cannot read kubeconfig ${what}: ${(e as Error).message}`);
    }
  };
  if (options.kubeconfig) {
    const file = path.resolve(options.kubeconfig);
    if (!fs.existsSync(file)) throw new CliError(`--kubeconfig ${options.kubeconfig}: no such file`);
    load(file, () => kc.loadFromFile(file));
    return { kc, source: file };
  }
  const fromEnv = (process.env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    // As kubectl: missing files are ignored, the first definition of a name wins, and so does
    // the first current-context.
    const existing = fromEnv.filter((f) => fs.existsSync(f));
    if (existing.length === 0) throw new CliError(`KUBECONFIG=${process.env.KUBECONFIG}: no such file`);
    load(existing[0], () => kc.loadFromFile(existing[0]));
    for (const file of existing.slice(1)) {
      const next = new k8s.KubeConfig();
      load(file, () => next.loadFromFile(file));
      if (!kc.currentContext && next.currentContext) kc.setCurrentContext(next.currentContext);
      for (const c of next.clusters) if (!kc.getCluster(c.name)) kc.addCluster(c);
      for (const u of next.users) if (!kc.getUser(u.name)) kc.addUser(u);
      for (const c of next.contexts) if (!kc.getContextObject(c.name)) kc.addContext(c);
    }
    return { kc, source: `$KUBECONFIG (${existing.join(path.delimiter)})` };
  }
  const home = path.join(os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) {
    load(home, () => kc.loadFromFile(home));
    return { kc, source: home };
  }
  if (process.env.KUBERNETES_SERVICE_HOST && fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
    load('(in-cluster service account)', () => kc.loadFromCluster());
    return { kc, source: 'in-cluster service account' };
  }
  throw new CliError(`no kubeconfig: KUBECONFIG is not set and ${home} does not exist.\n${missingKubeconfigHint(options.cluster, home)}`);
}

/**
 * Opens a connection to the kubeconfig's cluster (nothing is sent until the first request).
 * @throws CliError when there is no kubeconfig, the context does not exist, or it has no cluster
 */
export async function connect(options: ConnectOptions = {}): Promise<Connection> {
  const k8s = await loadClientNode();
  const { kc, source } = loadKubeConfig(k8s, options);
  const names = kc.getContexts().map((c) => c.name);
  if (names.length === 0) throw new CliError(`kubeconfig ${source} has no context`);
  if (options.context) {
    if (!names.includes(options.context)) {
      throw new CliError(`--context ${options.context}: no such context in ${source}; available: ${names.join(', ')}`);
    }
    kc.setCurrentContext(options.context);
  }
  const current = kc.getCurrentContext();
  if (!current || !names.includes(current)) {
    throw new CliError(`kubeconfig ${source} has no current context; pass --context (available: ${names.join(', ')})`);
  }
  const context = contextInfo(kc, current);
  if (!context.server) throw new CliError(`context '${current}' in ${source} points to cluster '${context.cluster}', which has no server`);
  const description = `context ${current} (${context.server})`;
  const cluster = new RestCluster(
    {
      server: context.server,
      requestOptions: async () => {
        const opts: https.RequestOptions = {};
        try {
          await kc.applyToHTTPSOptions(opts);
        } catch (e) {
          throw new CliError(`cannot authenticate with ${description}: ${(e as Error).message}`);
        }
        return opts;
      },
    },
    description,
    options.requestTimeoutMs,
  );
  return { cluster, context, contexts: names.map((n) => contextInfo(kc, n)), source };
}
