import { IMAGES } from '../../config/images';
import { ECOMMERCE_BASE } from './base';
import { EcommerceConfigInput } from './schema';

/**
 * dev (kind): one replica each, a single-member replica set, the in-cluster object store with its
 * console behind the tools ingress, small sizes (this stack's requests stay under 4 GiB together
 * with its observability half).
 */
export const dev: EcommerceConfigInput = {
  namespace: ECOMMERCE_BASE.namespace,
  // *.localtest.me resolves to 127.0.0.1 without editing /etc/hosts.
  host: 'shop.ecommerce.localtest.me',
  gateway: {
    image: 'ghcr.io/ecommerce-platform/gateway:1.0.0',
    standIn: true,
    replicas: 1,
    resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
  },
  backend: {
    image: 'ghcr.io/ecommerce-platform/backend:1.0.0',
    standIn: true,
    replicas: 1,
    resources: { cpuRequest: '100m', memoryRequest: '192Mi', memoryLimit: '384Mi' },
  },
  rateLimit: { average: 100, burst: 200, period: '1s' },
  // GlitchTip in the namespace, its UI through port-forward (README: Error tracking). Requests are
  // what an idle kind install needs (GlitchTip documents 512 MB for web and worker together; the
  // limits allow that and more): the stack with its logging half stays inside 4 GiB on kind.
  errorTracking: {
    mode: 'in-cluster',
    server: {
      ...ECOMMERCE_BASE.errorTrackerServer,
      url: 'http://localhost:8000',
      web: {
        replicas: 1,
        resources: { cpuRequest: '50m', memoryRequest: '160Mi', memoryLimit: '384Mi' },
        pool: ECOMMERCE_BASE.errorTrackerServer.web.pool,
      },
      worker: {
        resources: { cpuRequest: '25m', memoryRequest: '128Mi', memoryLimit: '320Mi' },
        pool: ECOMMERCE_BASE.errorTrackerServer.worker.pool,
      },
      setupResources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '384Mi' },
      postgres: {
        ...ECOMMERCE_BASE.errorTrackerServer.postgres,
        resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
        storage: { size: '2Gi', storageClassName: 'standard' },
      },
      redis: {
        ...ECOMMERCE_BASE.errorTrackerServer.redis,
        resources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
        storage: { size: '1Gi', storageClassName: 'standard' },
        // Half the limit: room for the copy-on-write of an RDB snapshot.
        maxmemory: '32mb',
      },
    },
  },
  mongodb: {
    ...ECOMMERCE_BASE.mongodb,
    replicas: 1,
    tls: false,
    resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '512Mi' },
    storage: { size: '2Gi', storageClassName: 'standard' },
  },
  objectStore: {
    provider: 'in-cluster',
    region: 'us-east-1',
    // The seed's bucket names.
    buckets: { app: 'ecommerce', backups: 'backups', logs: 'logs' },
    noncurrentVersionDays: 7,
    server: {
      image: IMAGES.minio,
      clientImage: IMAGES.awsCli,
      resources: { cpuRequest: '50m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
      storage: { size: '5Gi', storageClassName: 'standard' },
      console: { enabled: true },
    },
  },
  backups: { ...ECOMMERCE_BASE.backups, retentionDays: 7 },
  search: {
    ...ECOMMERCE_BASE.search,
    // Chosen: names the environment, so dev snapshots never pass for prod ones.
    clusterName: 'ecommerce-dev',
    // The seed's dev: a single node with a 512m heap.
    nodes: 1,
    heap: '512m',
    // One node needs no transport TLS; HTTP stays inside the namespace behind the NetworkPolicies, with authentication on.
    tls: false,
    // Twice the heap (Elasticsearch's rule: the rest is filesystem cache and off-heap); request = limit, so it is never the first evicted.
    resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '1Gi' },
    storage: { size: '5Gi', storageClassName: 'standard' },
    // Chosen: a week on kind, like the dev backups.
    logRetentionDays: 7,
    snapshots: { ...ECOMMERCE_BASE.search.snapshots, retentionDays: 7 },
  },
  logShipping: ECOMMERCE_BASE.logShipping,
  kibana: {
    ...ECOMMERCE_BASE.kibana,
    // Chosen: Kibana 9 idles at about 400-500 MiB; the limit leaves room for Discover queries.
    resources: { cpuRequest: '100m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
    ingress: { enabled: true, host: 'kibana.ecommerce.localtest.me' },
  },
  // Only the machine running kind (its Docker bridge networks) reaches the tools.
  tools: { host: 'tools.ecommerce.localtest.me', allowedCidrs: ['127.0.0.1/32', '172.16.0.0/12'] },
};
