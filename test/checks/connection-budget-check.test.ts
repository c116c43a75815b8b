import { Testing } from 'cdk8s';
import { CheckInput, DeclaredDatabase, KubeObject, runChecks, Violation } from '../../lib/checks';
import { ConnectionBudgetCheck } from '../../lib/checks/connection-budget-check';
import { collectAppFacts } from '../../lib/checks/facts';
import { STACKS } from '../../charts';
import { loadEnvironment } from '../../config';
import { envConfig } from '../support/synth';
import { Doc } from '../support/doc';
import { goodDeployment, manifests, mutate, rulesOf } from './helpers';

/** The api's pool: 15 per pod, 10 idle. */
function api(pool = '15', minIdle = '10'): Doc {
  return mutate(goodDeployment({ name: 'api', namespace: 'shop' }), (d) => {
    delete d.spec.replicas;
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
    d.spec.template.spec.containers[0].env = [
      { name: 'DB_POOL_MAX_SIZE', value: pool },
      { name: 'DB_POOL_MIN_IDLE', value: minIdle },
    ];
  });
}

function hpa(maxReplicas: number): Doc {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, minReplicas: 3, maxReplicas },
  };
}

const postgres: Doc = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'postgres', namespace: 'shop' }, spec: {} };

/** The WonderNest prod budget: 11 api pods x 15 = 165 <= 170; 170 + 10 + 3 + 7 = 190 <= 200. */
function database(over: Partial<DeclaredDatabase> = {}): DeclaredDatabase {
  return {
    namespace: 'shop',
    name: 'postgres',
    maxConnections: 200,
    roles: { app: 170, analytics: 10, postgres_exporter: 3 },
    reserved: [
      { what: 'superuser_reserved_connections', connections: 3 },
      { what: 'postgres-reconcile', connections: 2 },
      { what: 'postgres-backup', connections: 2 },
    ],
    clients: [
      { kind: 'Deployment', name: 'api', container: 'web', role: 'app', env: { maxSize: 'DB_POOL_MAX_SIZE', minIdle: 'DB_POOL_MIN_IDLE' } },
    ],
    ...over,
  };
}

// goodDeployment's container is named 'app'; the declared client names it.
const named = (d: Doc, container: string): Doc =>
  mutate(d, (c) => {
    c.spec.template.spec.containers[0].name = container;
  });

function check(objects: readonly unknown[], db: DeclaredDatabase = database()): Violation[] {
  const input: CheckInput = {
    objects: manifests(objects, 'prod'),
    environments: { prod: { monitoringRelease: 'kps', graphs: {}, databases: [db] } },
  };
  return new ConnectionBudgetCheck().run(input);
}

const good = (): Doc[] => [named(api(), 'web'), hpa(10), postgres];

describe('ConnectionBudgetCheck', () => {
  test('passes when (HPA max + surge) x pool fits the role and the roles + reserved fit max_connections', () => {
    expect(check(good())).toEqual([]);
  });

  test('db/pool-budget fires when the HPA may run more pods than the role limit allows, naming the numbers and what fits', () => {
    const v = check([named(api(), 'web'), hpa(12), postgres]);
    expect(rulesOf(v)).toEqual(['db/pool-budget']);
    expect(v[0].object?.object.kind).toBe('Deployment');
    expect(v[0].message).toBe(
      '[prod] shop/postgres: role app may be asked for 195 connections (Deployment api: 13 pods (HPA maxReplicas 12 + maxSurge 1) x 15 (DB_POOL_MAX_SIZE)), ' +
        'above its connection limit 170; expected DB_POOL_MAX_SIZE <= 13 on Deployment shop/api, fewer pods, or a role limit >= 195',
    );
  });

  test("db/pool-budget: the seed's 50 per pod at 11 pods is 550 connections", () => {
    const v = check([named(api('50'), 'web'), hpa(10), postgres]);
    expect(v.map((x) => x.message)).toEqual([expect.stringContaining('role app may be asked for 550 connections')]);
  });

  test('db/pool-budget counts replicas and a percentage surge (rounded up) without an HPA, and every client of the role', () => {
    const fixed = (name: string, replicas: number): Doc =>
      mutate(named(api('40'), 'web'), (d) => {
        d.metadata.name = name;
        d.spec.replicas = replicas;
        d.spec.strategy.rollingUpdate.maxSurge = '25%';
      });
    const worker = { kind: 'Deployment', name: 'worker', container: 'web', role: 'app', env: database().clients[0].env };
    const db = database({ clients: [...database().clients.map((c) => ({ ...c, name: 'api' })), worker] });
    // api: 2 + ceil(0.5) = 3 pods x 40 = 120; worker: 1 + 1 = 2 pods x 40 = 80; 200 > 170
    const v = check([fixed('api', 2), fixed('worker', 1), postgres], db);
    expect(v.map((x) => x.rule)).toEqual(['db/pool-budget']);
    expect(v[0].message).toContain('200 connections (Deployment api: 3 pods (replicas 2 + maxSurge 1) x 40');
    expect(v[0].message).toContain('Deployment worker: 2 pods (replicas 1 + maxSurge 1) x 40');
    // 170 - 80 for the worker leaves 90 for 3 api pods
    expect(v[0].message).toContain('expected DB_POOL_MAX_SIZE <= 30 on Deployment shop/api');
  });

  test('a Recreate Deployment has no surge', () => {
    const recreate = mutate(named(api('17'), 'web'), (d) => {
      d.spec.strategy = { type: 'Recreate' };
    });
    expect(check([recreate, hpa(10), postgres])).toEqual([]); // 10 x 17 = 170
  });

  test('db/connection-budget fires when the role limits plus reserved connections exceed max_connections', () => {
    const v = check(good(), database({ maxConnections: 180 }));
    expect(rulesOf(v)).toEqual(['db/connection-budget']);
    expect(v[0].object?.object.kind).toBe('StatefulSet');
    expect(v[0].message).toBe(
      '[prod] shop/postgres: role limits 183 + reserved 7 = 190 connections (app 170, analytics 10, postgres_exporter 3, ' +
        'superuser_reserved_connections 3, postgres-reconcile 2, postgres-backup 2), above max_connections 180; ' +
        'expected max_connections >= 190 or role limits lowered by 10',
    );
  });

  test('db/connection-budget fires for a role without a limit', () => {
    const v = check(good(), database({ roles: { app: 170, analytics: -1 } }));
    expect(v.map((x) => x.message)).toEqual([expect.stringContaining('role(s) analytics have no connection limit (-1)')]);
  });

  test.each<[string, Doc[], RegExp]>([
    ['a missing workload', [hpa(10), postgres], /Deployment api is declared as a client \(role app\) but is not in the output/],
    ['a missing container', [api(), hpa(10), postgres], /Deployment api has no container 'web'/],
    [
      'a pool size from a ConfigMap',
      [
        mutate(named(api(), 'web'), (d) => {
          d.spec.template.spec.containers[0].env[0] = { name: 'DB_POOL_MAX_SIZE', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } };
        }),
        hpa(10),
        postgres,
      ],
      /DB_POOL_MAX_SIZE is taken from configMapKeyRef; expected a literal integer >= 1/,
    ],
    ['a pool size of 0', [named(api('0', '0'), 'web'), hpa(10), postgres], /DB_POOL_MAX_SIZE is 0; expected a literal integer >= 1/],
    ['a non-numeric pool size', [named(api('lots'), 'web'), hpa(10), postgres], /DB_POOL_MAX_SIZE is "lots"; expected a literal integer/],
    [
      'minIdle above the pool size',
      [named(api('5', '6'), 'web'), hpa(10), postgres],
      /DB_POOL_MIN_IDLE is 6; expected a literal integer from 0 to the pool size 5/,
    ],
    [
      'no minIdle',
      [
        mutate(named(api(), 'web'), (d) => {
          d.spec.template.spec.containers[0].env.pop();
        }),
        hpa(10),
        postgres,
      ],
      /DB_POOL_MIN_IDLE is unset/,
    ],
  ])('db/pool-declared fires for %s', (_, objects, message) => {
    const v = check(objects);
    expect(rulesOf(v)).toEqual(['db/pool-declared']);
    expect(v[0].message).toMatch(message);
  });

  test('a database that is not in the output is not checked (one Helm chart of several)', () => {
    expect(check([named(api('50'), 'web'), hpa(10)])).toEqual([]);
  });
});

describe('the connection budget of a stack as configured', () => {
  /** Synthesizes a stack for a changed prod config and runs the connections family over it with its recorded facts. */
  function budgetViolations(stack: string, edit: (cfg: Doc) => void): readonly Violation[] {
    const cfg = envConfig('prod');
    edit(cfg);
    const app = Testing.app();
    STACKS.find((s) => s.name === stack)!.create(app, stack, loadEnvironment(cfg));
    const facts = collectAppFacts(app, 'prod');
    const objects = manifests(
      app.charts.flatMap((c) => c.toJson() as KubeObject[]),
      'prod',
    );
    return runChecks({ objects, environments: { prod: { monitoringRelease: 'kps', graphs: {}, databases: facts.databases } } }, [
      'connections',
    ]).violations;
  }

  test("WonderNest prod with the seed's pool of 50 per pod breaks wondernest_app's limit", () => {
    const v = budgetViolations('wondernest', (c) => {
      c.stacks.wondernest.api.pool.maxSize = 50;
    });
    expect(v.map((x) => x.message)).toEqual([
      expect.stringContaining(
        'role wondernest_app may be asked for 550 connections (Deployment api: 11 pods (HPA maxReplicas 10 + maxSurge 1) x 50',
      ),
    ]);
  });

  test('PagoDirecto prod with a larger app role limit breaks max_connections (the reconcile and backup sessions count)', () => {
    // 5 + 129 + 10 + 3 = 147 passes the config's own rule (150 - 3 superuser slots); with reconcile 2, backup 1, restore 1 and the
    // promotion's fencing check 1 it does not fit.
    const v = budgetViolations('pagodirecto', (c) => {
      c.stacks.pagodirecto.roles.app.connectionLimit = 129;
    });
    expect(v.map((x) => x.rule)).toEqual(['db/connection-budget']);
    expect(v[0].message).toContain('role limits 147 + reserved 8 = 155 connections');
  });
});
