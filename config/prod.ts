import { EnvironmentConfig } from './schema';
import { IMAGES } from './images';
import { PAGODIRECTO_BASE, PAGODIRECTO_POSTGRES_MAINTENANCE } from './pagodirecto-base';
import { WONDERNEST_BASE } from './wondernest-base';

/** prod: EKS. Seed replica counts, HPA, zone spread, gp3, Let's Encrypt, AWS Secrets Manager, S3 via IRSA, no dev tools. */
export const prod: EnvironmentConfig = {
  name: 'prod',
  profile: 'prod',
  cluster: { kind: 'eks', name: 'backends-prod' },
  ingress: { className: 'traefik', controllerNamespace: 'traefik', controllerPodLabels: { 'app.kubernetes.io/name': 'traefik' } },
  tls: { clusterIssuer: 'letsencrypt-prod', issuer: 'letsencrypt', acmeEmail: 'platform@wondernest.example' },
  storage: { gp3StorageClass: 'gp3-encrypted' },
  monitoring: {
    release: 'kube-prometheus-stack',
    namespace: 'monitoring',
    prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    // Webhook URLs: <stack prefix>/alertmanager-receivers in AWS Secrets Manager (WARNING_/CRITICAL_SLACK_WEBHOOK_URL).
    alerting: { warning: { slack: { channel: '#backend-alerts' } }, critical: { slack: { channel: '#backend-oncall' } } },
  },
  // One ClusterSecretStore per stack, usable only from its namespace, reading with the stack's IRSA role.
  secrets: { provider: 'aws-secrets-manager', awsRegion: 'eu-west-1', storeScope: 'cluster' },
  // Argo CD syncs dist/argocd/prod from here: set repoUrl to your clone of this repository.
  gitops: { repoUrl: 'https://github.com/backends-on-k8s/backends-on-k8s.git', targetRevision: 'main' },
  spreadAcrossZones: true,
  stacks: {
    wondernest: {
      ...WONDERNEST_BASE,
      host: 'api.wondernest.example',
      corsAllowedOrigins: ['https://app.wondernest.example'],
      api: {
        image: 'ghcr.io/wondernest/api:0.1.0',
        standIn: false,
        replicas: 3,
        // The seed runs 3 replicas; the HPA keeps 3 and grows under load.
        autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
        resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' },
      },
      postgres: {
        ...WONDERNEST_BASE.postgres,
        schemas: [...WONDERNEST_BASE.postgres.schemas],
        extensions: [...WONDERNEST_BASE.postgres.extensions],
        allowedCidrs: [...WONDERNEST_BASE.postgres.allowedCidrs],
        resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '2Gi' },
        storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
        // The seed's postgresql.conf (256MB shared buffers = 25% of RAM, SSD costs), sized to 2Gi.
        settings: {
          max_connections: 100,
          shared_buffers: '512MB',
          effective_cache_size: '1536MB',
          work_mem: '8MB',
          maintenance_work_mem: '128MB',
          random_page_cost: 1.1,
          effective_io_concurrency: 100,
          checkpoint_completion_target: 0.9,
          wal_buffers: '16MB',
          idle_in_transaction_session_timeout: '10min',
          log_min_duration_statement: 250,
        },
      },
      redis: {
        ...WONDERNEST_BASE.redis,
        maxmemory: '768mb',
        resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '1Gi' },
        storage: { size: '10Gi', storageClassName: 'gp3-encrypted' },
      },
      backups: {
        target: 's3',
        bucket: 'wondernest-prod-backups',
        region: 'eu-west-1',
        postgresSchedule: '0 2 * * *',
        redisSchedule: '30 2 * * *',
        retentionDays: 30,
        maxAgeHours: 26,
        uploaderImage: IMAGES.awsCli,
        resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
      },
      pgadmin: { enabled: false, image: IMAGES.pgadmin, email: 'admin@wondernest.example', resources: { cpuRequest: '50m', memoryRequest: '192Mi', memoryLimit: '384Mi' } },
      localstack: { enabled: false, image: IMAGES.localstack, resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '768Mi' } },
      aws: {
        backupRoleArn: 'arn:aws:iam::123456789012:role/wondernest-prod-backup',
        secretsRoleArn: 'arn:aws:iam::123456789012:role/wondernest-prod-secrets',
        secretsKeyPrefix: 'prod/wondernest',
      },
    },
    pagodirecto: {
      namespace: PAGODIRECTO_BASE.namespace,
      host: 'crm.pagodirecto.example',
      corsAllowedOrigins: ['https://crm.pagodirecto.example'],
      backend: {
        image: 'ghcr.io/pagodirecto/backend:1.0.0',
        standIn: false,
        replicas: 2,
        // The seed's HA layout runs two backends; the HPA grows to four under load (4 x 20 pool = the app role's 80).
        autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 90 },
        connectionPoolSize: 20,
        jvmMaxRamPercentage: 75,
        // Seed: 1.5 GB RAM, 2 CPU.
        resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '1536Mi', memoryLimit: '1536Mi' },
      },
      frontend: {
        image: 'ghcr.io/pagodirecto/frontend:1.0.0',
        standIn: false,
        replicas: 2,
        autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 80 },
        // Seed: 512 MB RAM, 1 CPU.
        resources: { cpuRequest: '100m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '512Mi' },
      },
      postgres: {
        ...PAGODIRECTO_BASE.postgres,
        schemas: [...PAGODIRECTO_BASE.postgres.schemas],
        extensions: [...PAGODIRECTO_BASE.postgres.extensions],
        rowLevelSecurity: { ...PAGODIRECTO_BASE.postgres.rowLevelSecurity },
        allowedCidrs: [...PAGODIRECTO_BASE.postgres.allowedCidrs],
        // Seed: 2 GB RAM, 2 CPU.
        resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '2Gi' },
        storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
        // The seed's postgresql.conf for OLTP on SSD.
        settings: {
          ...PAGODIRECTO_POSTGRES_MAINTENANCE,
          max_connections: 150,
          shared_buffers: '512MB',
          effective_cache_size: '1536MB',
          work_mem: '16MB',
          maintenance_work_mem: '128MB',
          effective_io_concurrency: 200,
          checkpoint_completion_target: 0.9,
          wal_buffers: '16MB',
          min_wal_size: '1GB',
          max_wal_size: '4GB',
          autovacuum_naptime: '30s',
          log_min_duration_statement: 200,
          log_connections: true,
          log_disconnections: true,
          idle_in_transaction_session_timeout: '5min',
        },
      },
      roles: {
        owner: { name: PAGODIRECTO_BASE.roleNames.owner, connectionLimit: 5 },
        app: { name: PAGODIRECTO_BASE.roleNames.app, connectionLimit: 80 },
        readonly: { name: PAGODIRECTO_BASE.roleNames.readonly, connectionLimit: 10 },
      },
      edge: { ...PAGODIRECTO_BASE.edge, apiRateLimit: { ...PAGODIRECTO_BASE.edge.apiRateLimit }, authRateLimit: { ...PAGODIRECTO_BASE.edge.authRateLimit } },
      backups: {
        target: 's3',
        bucket: 'pagodirecto-prod-backups',
        region: 'eu-west-1',
        schedule: '0 3 * * *',
        retentionDays: 30,
        maxAgeHours: 26,
        uploaderImage: IMAGES.awsCli,
        resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
      },
      adminer: { enabled: false, image: IMAGES.adminer, resources: { cpuRequest: '25m', memoryRequest: '64Mi', memoryLimit: '128Mi' } },
      localstack: { enabled: false, image: IMAGES.localstack, resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' } },
      aws: {
        backupRoleArn: 'arn:aws:iam::123456789012:role/pagodirecto-prod-backup',
        secretsRoleArn: 'arn:aws:iam::123456789012:role/pagodirecto-prod-secrets',
        secretsKeyPrefix: 'prod/pagodirecto',
      },
    },
  },
};
