/**
 * Pinned versions of the public images the stacks use, in one place.
 * Application images (the users' own) are set per environment instead.
 */
export const IMAGES = {
  postgres15: 'postgres:15.13-bookworm',
  postgres16: 'postgres:16.9-bookworm',
  postgresExporter: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1',
  redis72: 'redis:7.2.8-bookworm',
  redisExporter: 'oliver006/redis_exporter:v1.67.0',
  /** Official image (Ubuntu jammy): mongod, mongosh and the database tools (mongodump/mongorestore) in one. */
  mongo70: 'mongo:7.0.28-jammy',
  /** Metric names of lib/constructs/monitoring/mongodb-rules.ts are those of this exporter line (0.47.x). */
  mongodbExporter: 'percona/mongodb_exporter:0.47.2',
  awsCli: 'amazon/aws-cli:2.22.35',
  pgadmin: 'dpage/pgadmin4:8.14',
  localstack: 'localstack/localstack:4.0.3',
  /**
   * The last MinIO server image published (Sept 2025; the community edition is source-only since
   * Oct 2025 and gone from Docker Hub, quay.io still serves it). Dev only: see MinioServer.
   */
  minio: 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z',
  adminer: 'adminer:4.8.1-standalone',
  /** GlitchTip 6 (web, worker, migrations in one image; runs as uid 5000). */
  glitchtip: 'glitchtip/glitchtip:6.2.6',
  /**
   * The log shipper's agent (LogShipper): the 4.0 line's release in the official chart (fluent/helm-charts)
   * when it was pinned; its YAML configuration format and `/api/v2/metrics/prometheus` are what the construct renders for.
   */
  fluentBit: 'cr.fluentbit.io/fluent/fluent-bit:4.0.7',
  elasticsearch: 'docker.elastic.co/elasticsearch/elasticsearch:9.4.0',
  /** Same version as Elasticsearch: Kibana refuses a newer cluster and warns on an older one. */
  kibana: 'docker.elastic.co/kibana/kibana:9.4.0',
  /** Metric names of lib/constructs/monitoring/elasticsearch-rules.ts are those of this exporter line (1.9.x). */
  elasticsearchExporter: 'quay.io/prometheuscommunity/elasticsearch-exporter:v1.9.0',
  /** sh and curl for setup Jobs that talk HTTP APIs (SearchSetup). */
  curl: 'curlimages/curl:8.11.1',
} as const;
