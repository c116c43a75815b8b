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
  awsCli: 'amazon/aws-cli:2.22.35',
  pgadmin: 'dpage/pgadmin4:8.14',
  localstack: 'localstack/localstack:4.0.3',
  adminer: 'adminer:4.8.1-standalone',
} as const;
