import { EnvironmentConfig } from './schema';
import { IMAGES } from './images';
import { PAGODIRECTO_BASE, PAGODIRECTO_POSTGRES_MAINTENANCE } from './pagodirecto-base';
import { WONDERNEST_BASE } from './wondernest-base';

/** dev: a local kind cluster. One replica, small sizes, local CA, generated secrets, dev tools on. */
export const dev: EnvironmentConfig = {
  name: 'dev',
  profile: 'dev',
  cluster: { kind: 'kind', name: 'backends-dev' },
  ingress: { className: 'traefik', controllerNamespace: 'traefik', controllerPodLabels: { 'app.kubernetes.io/name': 'traefik' } },
  tls: { clusterIssuer: 'local-ca', issuer: 'local-ca' },
  storage: {},
  monitoring: {
    release: 'kube-prometheus-stack',
    namespace: 'monitoring',
    prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    // No receivers on kind: alerts are visible in Alertmanager's UI (kubectl -n monitoring port-forward svc/kube-prometheus-stack-alertmanager 9093).
    alerting: {},
  },
  secrets: { provider: 'generated' },
  // Argo CD syncs dist/argocd/dev from here: set repoUrl to your clone of this repository.
  gitops: { repoUrl: 'https://github.com/backends-on-k8s/backends-on-k8s.git', targetRevision: 'main' },
  spreadAcrossZones: false,
  stacks: {
    wondernest: {
      ...WONDERNEST_BASE,
      // *.localtest.me resolves to 127.0.0.1 without editing /etc/hosts.
      host: 'api.wondernest.localtest.me',
      corsAllowedOrigins: ['http://localhost:3000', 'https://app.wondernest.localtest.me'],
      api: {
        image: 'ghcr.io/wondernest/api:0.1.0',
        standIn: true,
        replicas: 1,
        resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
      },
      postgres: {
        ...WONDERNEST_BASE.postgres,
        schemas: [...WONDERNEST_BASE.postgres.schemas],
        extensions: [...WONDERNEST_BASE.postgres.extensions],
        allowedCidrs: [...WONDERNEST_BASE.postgres.allowedCidrs],
        resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
        storage: { size: '2Gi', storageClassName: 'standard' },
        // The seed's postgresql.conf scaled to a 512Mi container.
        settings: {
          max_connections: 100,
          shared_buffers: '128MB',
          effective_cache_size: '384MB',
          work_mem: '4MB',
          maintenance_work_mem: '64MB',
          random_page_cost: 1.1,
          effective_io_concurrency: 100,
          log_min_duration_statement: 500,
        },
      },
      redis: {
        ...WONDERNEST_BASE.redis,
        maxmemory: '128mb',
        resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
        storage: { size: '1Gi', storageClassName: 'standard' },
      },
      backups: {
        target: 'localstack',
        bucket: 'wondernest-backups',
        region: 'us-east-1',
        postgresSchedule: '0 2 * * *',
        redisSchedule: '30 2 * * *',
        retentionDays: 7,
        maxAgeHours: 26,
        uploaderImage: IMAGES.awsCli,
        resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
      },
      pgadmin: { enabled: true, image: IMAGES.pgadmin, email: 'admin@wondernest.localtest.me', resources: { cpuRequest: '50m', memoryRequest: '192Mi', memoryLimit: '384Mi' } },
      localstack: { enabled: true, image: IMAGES.localstack, resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '768Mi' } },
    },
    pagodirecto: {
      namespace: PAGODIRECTO_BASE.namespace,
      host: 'crm.pagodirecto.localtest.me',
      corsAllowedOrigins: ['http://localhost:3000', 'https://crm.pagodirecto.localtest.me'],
      backend: {
        image: 'ghcr.io/pagodirecto/backend:1.0.0',
        standIn: true,
        replicas: 1,
        connectionPoolSize: 10,
        jvmMaxRamPercentage: 75,
        resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '384Mi', memoryLimit: '768Mi' },
      },
      frontend: {
        image: 'ghcr.io/pagodirecto/frontend:1.0.0',
        standIn: true,
        replicas: 1,
        resources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
      },
      postgres: {
        ...PAGODIRECTO_BASE.postgres,
        schemas: [...PAGODIRECTO_BASE.postgres.schemas],
        extensions: [...PAGODIRECTO_BASE.postgres.extensions],
        rowLevelSecurity: { ...PAGODIRECTO_BASE.postgres.rowLevelSecurity },
        allowedCidrs: [...PAGODIRECTO_BASE.postgres.allowedCidrs],
        resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
        storage: { size: '2Gi', storageClassName: 'standard' },
        // The seed's tuning scaled to a 512Mi container.
        settings: {
          ...PAGODIRECTO_POSTGRES_MAINTENANCE,
          max_connections: 50,
          shared_buffers: '128MB',
          effective_cache_size: '384MB',
          work_mem: '4MB',
          maintenance_work_mem: '64MB',
          effective_io_concurrency: 100,
          autovacuum_naptime: '1min',
          log_min_duration_statement: 500,
        },
      },
      roles: {
        owner: { name: PAGODIRECTO_BASE.roleNames.owner, connectionLimit: 5 },
        app: { name: PAGODIRECTO_BASE.roleNames.app, connectionLimit: 20 },
        readonly: { name: PAGODIRECTO_BASE.roleNames.readonly, connectionLimit: 5 },
      },
      edge: { ...PAGODIRECTO_BASE.edge, apiRateLimit: { ...PAGODIRECTO_BASE.edge.apiRateLimit }, authRateLimit: { ...PAGODIRECTO_BASE.edge.authRateLimit } },
      backups: {
        target: 'localstack',
        bucket: 'pagodirecto-backups',
        region: 'us-east-1',
        schedule: '0 3 * * *',
        retentionDays: 30,
        maxAgeHours: 26,
        uploaderImage: IMAGES.awsCli,
        resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
      },
      adminer: { enabled: true, image: IMAGES.adminer, resources: { cpuRequest: '25m', memoryRequest: '64Mi', memoryLimit: '128Mi' } },
      localstack: { enabled: true, image: IMAGES.localstack, resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' } },
    },
  },
};
