/** PostgresDatabase props the construct and real-server tests share. */
import { PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { SecretKeyRef } from '../../lib/constructs/workloads/container';

/** A key of the test's credentials Secret. */
export const secretKey =
  (secretName: string) =>
  (key: string): SecretKeyRef => ({ secret: secretName, key });

/** The postgres-exporter sidecar, logging in as role `exporter`. */
export const TEST_EXPORTER: NonNullable<PostgresDatabaseProps['exporter']> = {
  image: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1',
  role: 'exporter',
  resources: { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
};

/**
 * PostgreSQL 15 in namespace `shop` with schema `app`, the superuser password from `secretName`,
 * `max_connections` 50, small resources and a 1Gi volume; `props` adds the roles and whatever the
 * test is about (and may override any of these).
 */
export function testPostgresProps(
  secretName: string,
  props: Pick<PostgresDatabaseProps, 'roles'> & Partial<PostgresDatabaseProps>,
): PostgresDatabaseProps {
  return {
    namespace: 'shop',
    partOf: 'shop',
    image: 'postgres:15.8-bookworm',
    database: 'shop',
    superuserPassword: secretKey(secretName)('POSTGRES_PASSWORD'),
    schemas: ['app'],
    settings: { max_connections: 50 },
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    storage: { size: '1Gi', storageClassName: 'standard' },
    ...props,
  };
}
