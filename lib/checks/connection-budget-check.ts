import type { IContainer } from 'kubernetes-models/v1/Container';
import { containersOf, podTemplateOf } from './pod-specs';
import {
  Check,
  CheckInput,
  DeclaredDatabase,
  describeObject,
  ManifestObject,
  ManifestObjectOf,
  objectsOf,
  RuleInfo,
  Violation,
} from './types';

export const CONNECTION_RULES: readonly RuleInfo[] = [
  {
    id: 'db/pool-declared',
    family: 'connections',
    description: "every declared database client is rendered and sets its pool's maximum size and minimum idle as integer env vars",
  },
  {
    id: 'db/pool-budget',
    family: 'connections',
    description:
      "for every database role: the sum over its clients of (HPA maxReplicas or replicas + rollout surge) x pool size <= the role's connection limit",
  },
  {
    id: 'db/connection-budget',
    family: 'connections',
    description: "the sum of the login roles' connection limits plus the reserved connections <= max_connections",
  },
];

type Client = DeclaredDatabase['clients'][number];

/** One client as rendered: its pods at most and its pool size. */
interface RenderedClient {
  readonly client: Client;
  readonly object: ManifestObject;
  readonly pods: number;
  /** How `pods` came about, e.g. `HPA maxReplicas 10 + maxSurge 1`. */
  readonly podsWhy: string;
  readonly poolSize: number;
}

/**
 * Connection budgets of every declared database (see `PostgresDatabase.client`), computed from
 * the rendered objects: a client's pods at most are its HorizontalPodAutoscaler's maxReplicas
 * (else its replicas) plus the Deployment's rollout surge (old and new pods are connected at
 * once), and its pool size is the literal value of its pool env var. So a config or Helm-values
 * change of replicas, HPA bounds, surge or pool size is checked as rendered; `max_connections`,
 * role limits and reserved connections come from the database's declaration. A database whose
 * StatefulSet is not in the output (e.g. another stack's, when one Helm chart is checked) is skipped.
 */
export class ConnectionBudgetCheck implements Check {
  public readonly family = 'connections' as const;
  public readonly rules = CONNECTION_RULES;

  public run(input: CheckInput): Violation[] {
    const violations: Violation[] = [];
    for (const [env, facts] of Object.entries(input.environments)) {
      const databases = facts.databases ?? [];
      if (databases.length === 0) continue;
      const objects = input.objects.filter((m) => m.env === env);
      const byKey = new Map(objects.map((m) => [key(m.object.kind, m.object.metadata?.namespace, m.object.metadata?.name), m]));
      const hpas = objectsOf(objects, 'HorizontalPodAutoscaler');
      for (const db of databases) {
        const where = `[${env}] ${db.namespace}/${db.name}`;
        const dbObject = byKey.get(key('StatefulSet', db.namespace, db.name));
        if (!dbObject) continue; // not part of this output (e.g. one stack's Helm chart checked on its own)
        const rendered: RenderedClient[] = [];
        for (const client of db.clients) {
          const r = renderClient(where, db, client, byKey, hpas, violations);
          if (r) rendered.push(r);
        }
        violations.push(...roleBudgets(where, db, rendered), ...serverBudget(where, db, dbObject));
      }
    }
    return violations;
  }
}

function key(kind: string | undefined, namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? '_'}/${name}`;
}

/** Reads a client's pods and pool size from the output; a violation (and undefined) when it cannot. */
function renderClient(
  where: string,
  db: DeclaredDatabase,
  client: Client,
  byKey: ReadonlyMap<string, ManifestObject>,
  hpas: ReadonlyArray<ManifestObjectOf<'HorizontalPodAutoscaler'>>,
  violations: Violation[],
): RenderedClient | undefined {
  const object = byKey.get(key(client.kind, db.namespace, client.name));
  const label = `${client.kind} ${client.name}`;
  if (!object) {
    violations.push({
      rule: 'db/pool-declared',
      message: `${where}: ${label} is declared as a client (role ${client.role}) but is not in the output; expected the workload, or no client declaration`,
    });
    return undefined;
  }
  const template = podTemplateOf(object);
  const ref = template ? containersOf(template).find((c) => c.list === 'containers' && c.container.name === client.container) : undefined;
  if (!ref) {
    violations.push({
      rule: 'db/pool-declared',
      object,
      message: `${where}: ${label} has no container '${client.container}'; expected the container declared as the database client`,
    });
    return undefined;
  }
  const poolSize = intEnv(ref.container, client.env.maxSize);
  const minIdle = intEnv(ref.container, client.env.minIdle);
  const bad = (name: string, value: string | undefined, expected: string): undefined => {
    violations.push({
      rule: 'db/pool-declared',
      object,
      field: `${ref.path}.env`,
      message: `${where}: ${label} container '${client.container}' ${name} is ${value ?? 'unset'}; expected ${expected}`,
    });
    return undefined;
  };
  if (typeof poolSize !== 'number') return bad(client.env.maxSize, poolSize, 'a literal integer >= 1 (the pool size per pod)');
  if (typeof minIdle !== 'number' || minIdle > poolSize)
    return bad(
      client.env.minIdle,
      minIdle === undefined ? undefined : String(minIdle),
      `a literal integer from 0 to the pool size ${poolSize}`,
    );
  if (poolSize < 1) return bad(client.env.maxSize, String(poolSize), 'a literal integer >= 1 (the pool size per pod)');

  const spec = (object.object.spec ?? {}) as {
    replicas?: number;
    strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string } };
  };
  const hpa = hpas.find(
    (h) =>
      h.object.metadata?.namespace === db.namespace &&
      h.object.spec?.scaleTargetRef?.kind === client.kind &&
      h.object.spec?.scaleTargetRef?.name === client.name,
  );
  const replicas = hpa ? (hpa.object.spec?.maxReplicas ?? 1) : (spec.replicas ?? 1);
  const replicasWhy = hpa ? `HPA maxReplicas ${replicas}` : `replicas ${replicas}`;
  const surge = object.object.kind === 'Deployment' ? deploymentSurge(spec.strategy, replicas) : 0;
  return {
    client,
    object,
    pods: replicas + surge,
    podsWhy: surge > 0 ? `${replicasWhy} + maxSurge ${surge}` : replicasWhy,
    poolSize,
  };
}

/** A literal non-negative integer env var: the number, the raw text when it is something else, undefined when unset. */
function intEnv(container: IContainer, name: string): number | string | undefined {
  const e = (container.env ?? []).filter((x) => x.name === name).pop(); // the last definition wins
  if (!e) return undefined;
  if (e.value === undefined) return e.valueFrom ? `taken from ${Object.keys(e.valueFrom).join(', ')}` : "''";
  return /^[0-9]+$/.test(e.value) ? Number(e.value) : JSON.stringify(e.value);
}

/**
 * Extra pods a rollout may run: `maxSurge` of a RollingUpdate (Kubernetes' default 25 %, a
 * percentage rounded up), none for Recreate.
 */
export function deploymentSurge(
  strategy: { type?: string; rollingUpdate?: { maxSurge?: number | string } } | undefined,
  replicas: number,
): number {
  if (strategy?.type === 'Recreate') return 0;
  const surge = strategy?.rollingUpdate?.maxSurge ?? '25%';
  if (typeof surge === 'number') return surge;
  const pct = /^([0-9]+)%$/.exec(surge);
  return pct ? Math.ceil((replicas * Number(pct[1])) / 100) : Number(surge);
}

/** Per role: the clients' pods x pool sizes against the role's limit. */
function roleBudgets(where: string, db: DeclaredDatabase, clients: readonly RenderedClient[]): Violation[] {
  const out: Violation[] = [];
  for (const role of [...new Set(clients.map((c) => c.client.role))]) {
    const limit = db.roles[role];
    const of = clients.filter((c) => c.client.role === role);
    const total = of.reduce((n, c) => n + c.pods * c.poolSize, 0);
    if (limit === undefined || limit < 0 || total <= limit) continue; // an unknown or unlimited role is db/connection-budget's
    const terms = of.map(
      (c) => `${c.client.kind} ${c.client.name}: ${c.pods} pods (${c.podsWhy}) x ${c.poolSize} (${c.client.env.maxSize})`,
    );
    const others = total - of[0].pods * of[0].poolSize;
    const fits = Math.floor((limit - others) / of[0].pods);
    out.push({
      rule: 'db/pool-budget',
      object: of[0].object,
      message:
        `${where}: role ${role} may be asked for ${total} connections (${terms.join(' + ')}), above its connection limit ${limit}; ` +
        `expected ${of[0].client.env.maxSize} <= ${Math.max(fits, 0)} on ${describeObject(of[0].object.object)}, fewer pods, or a role limit >= ${total}`,
    });
  }
  return out;
}

/** The roles' limits and the reserved connections against max_connections. */
function serverBudget(where: string, db: DeclaredDatabase, object: ManifestObject): Violation[] {
  const unlimited = Object.entries(db.roles).filter(([, limit]) => limit < 0);
  if (unlimited.length > 0) {
    return [
      {
        rule: 'db/connection-budget',
        object,
        message: `${where}: role(s) ${unlimited.map(([r]) => r).join(', ')} have no connection limit (-1); expected a limit so the sum of the roles' limits can be held to max_connections ${db.maxConnections}`,
      },
    ];
  }
  const roles = Object.entries(db.roles).reduce((n, [, limit]) => n + limit, 0);
  const reserved = db.reserved.reduce((n, r) => n + r.connections, 0);
  if (roles + reserved <= db.maxConnections) return [];
  const parts = [...Object.entries(db.roles).map(([r, limit]) => `${r} ${limit}`), ...db.reserved.map((r) => `${r.what} ${r.connections}`)];
  return [
    {
      rule: 'db/connection-budget',
      object,
      message:
        `${where}: role limits ${roles} + reserved ${reserved} = ${roles + reserved} connections (${parts.join(', ')}), above max_connections ${db.maxConnections}; ` +
        `expected max_connections >= ${roles + reserved} or role limits lowered by ${roles + reserved - db.maxConnections}`,
    },
  ];
}
