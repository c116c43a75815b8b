import { Testing } from 'cdk8s';
import { PostgresDatabase, PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { Doc } from '../support/doc';

const props: PostgresDatabaseProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: 'postgres:15.8-bookworm',
  database: 'shop',
  superuserPassword: { secret: 'pg', key: 'POSTGRES_PASSWORD' },
  schemas: ['app'],
  roles: [{ name: 'app_rw', access: 'readwrite', connectionLimit: 10, password: { secret: 'pg', key: 'APP_RW_PASSWORD' } }],
  settings: {},
  resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  storage: { size: '1Gi', storageClassName: 'standard' },
};

function synth(p: Partial<PostgresDatabaseProps> = {}): Doc[] {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: {} });
  new PostgresDatabase(chart, 'postgres', { ...props, ...p }).addToGraph(graph);
  return Testing.synth(chart);
}

describe('PostgresDatabase reconcile', () => {
  const docs = synth();
  const job = docs.find((d) => d.kind === 'Job')!;
  const cronJob = docs.find((d) => d.kind === 'CronJob' && d.metadata.name === 'postgres-reconcile')!;

  test('a hash-named Job (also a Sync / post-upgrade hook) and a CronJob run the init script over TCP as the superuser', () => {
    expect(job.metadata.name).toMatch(/^postgres-reconcile-[0-9a-f]{10}$/);
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      'helm.sh/hook': 'post-install,post-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation',
    });
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['bash', '/scripts/10-init-database.sh']);
    const env = Object.fromEntries((c.env as Doc[]).map((e) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
    expect(env).toMatchObject({
      POSTGRES_USER: 'postgres',
      POSTGRES_DB: 'shop',
      PGHOST: 'postgres.shop.svc.cluster.local',
      PGPORT: '5432',
      PGPASSWORD: { name: 'pg', key: 'POSTGRES_PASSWORD' },
      PG_ROLE_APP_RW_PASSWORD: { name: 'pg', key: 'APP_RW_PASSWORD' },
    });
    expect(job.spec.template.spec.volumes[0]).toEqual({ name: 'scripts', configMap: { name: 'postgres-init', defaultMode: 0o555 } });
    expect(cronJob.spec).toMatchObject({ schedule: '*/15 * * * *', concurrencyPolicy: 'Forbid' });
    expect(cronJob.spec.jobTemplate.spec.template).toEqual(job.spec.template);
  });

  test('its pods may reach the database and nothing else', () => {
    const policy = docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'postgres-reconcile')!;
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toEqual([
      {
        to: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'postgres' }) } }],
        ports: [{ port: 5432, protocol: 'TCP' }],
      },
    ]);
  });

  test('a changed role limit renames the Job', () => {
    const other = synth({ roles: [{ ...props.roles[0], connectionLimit: 11 }] }).find((d) => d.kind === 'Job')!;
    expect(other.metadata.name).not.toBe(job.metadata.name);
  });

  test.each<[string, Partial<PostgresDatabaseProps>, RegExp]>([
    ['a bad schedule', { reconcile: { schedule: 'hourly' } }, /^PostgresDatabase 'postgres': reconcile.schedule 'hourly'; expected /],
    [
      'bad resources',
      { reconcile: { resources: { cpuRequest: '50m', memoryRequest: 'lots', memoryLimit: '128Mi' } } },
      /PostgresDatabase 'postgres': reconcile.resources.*memoryRequest/,
    ],
  ])('rejects %s', (_name, p, message) => {
    expect(() => synth(p)).toThrow(message);
  });
});
