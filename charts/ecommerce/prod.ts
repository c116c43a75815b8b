import { ECOMMERCE_BASE } from './base';
import { EcommerceConfigInput } from './schema';

/**
 * prod (EKS): HPA-scaled apps spread across zones, a 3-member replica set with TLS, Amazon S3
 * through IRSA, 30-day backups, no development tools.
 */
export const prod: EcommerceConfigInput = {
  namespace: ECOMMERCE_BASE.namespace,
  host: 'shop.ecommerce.example',
  gateway: {
    image: 'ghcr.io/ecommerce-platform/gateway:1.0.0',
    standIn: false,
    replicas: 3,
    autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70 },
    resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  },
  backend: {
    image: 'ghcr.io/ecommerce-platform/backend:1.0.0',
    standIn: false,
    replicas: 3,
    autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70 },
    resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '512Mi', memoryLimit: '1Gi' },
  },
  rateLimit: { average: 100, burst: 200, period: '1s' },
  // A Sentry-protocol service outside the cluster (DSNs in Secrets Manager, `error-tracking-dsn`):
  // errors of a cluster-wide outage must still reach someone, so the tracker must not share the
  // cluster's fate; and prod runs no second database to operate for it. Dev runs GlitchTip in-cluster.
  errorTracking: { mode: 'external' },
  mongodb: {
    ...ECOMMERCE_BASE.mongodb,
    replicas: 3,
    tls: true,
    resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '2Gi' },
    storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
  },
  objectStore: {
    provider: 's3',
    region: 'eu-west-1',
    // S3 bucket names are global: the seed's names with an owner prefix.
    buckets: { app: 'example-ecommerce-prod', backups: 'example-ecommerce-prod-backups', logs: 'example-ecommerce-prod-logs' },
    noncurrentVersionDays: 30,
  },
  // Seed 003: 30-day retention in production.
  backups: {
    ...ECOMMERCE_BASE.backups,
    retentionDays: 30,
    // Chosen: an alias ARN, so the key behind it can be replaced without a config change.
    kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:alias/ecommerce-prod-backups',
  },
  search: {
    ...ECOMMERCE_BASE.search,
    // The seed's prod cluster name and 1g heap; 3 nodes spread over zones keep a master through the loss of one.
    clusterName: 'ecommerce-prod',
    nodes: 3,
    heap: '1g',
    // Seed 003: encrypted connections in production (HTTP and transport, from the namespace CA).
    tls: true,
    // Twice the heap (Elasticsearch's rule: the rest is filesystem cache and off-heap); request = limit (Guaranteed memory).
    resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '2Gi' },
    storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
    // Seed 003: 30-day (audit) retention in production, for logs and their snapshots.
    logRetentionDays: 30,
    snapshots: { ...ECOMMERCE_BASE.search.snapshots, retentionDays: 30 },
  },
  logShipping: ECOMMERCE_BASE.logShipping,
  kibana: {
    ...ECOMMERCE_BASE.kibana,
    // Chosen: 1 GiB, the smallest Kibana Elastic runs in its own cloud; request = limit.
    resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '1Gi', memoryLimit: '1Gi' },
    // Not exposed: reached with kubectl port-forward (README).
    ingress: { enabled: false },
  },
  aws: {
    backupRoleArn: 'arn:aws:iam::123456789012:role/ecommerce-prod-backup',
    secretsRoleArn: 'arn:aws:iam::123456789012:role/ecommerce-prod-secrets',
    secretsKeyPrefix: 'prod/ecommerce',
    backendRoleArn: 'arn:aws:iam::123456789012:role/ecommerce-prod-backend',
    bucketAdminRoleArn: 'arn:aws:iam::123456789012:role/ecommerce-prod-bucket-admin',
    searchSnapshotRoleArn: 'arn:aws:iam::123456789012:role/ecommerce-prod-search-snapshots',
  },
};
