/**
 * The parts of a PostgreSQL server pod that a primary (PostgresDatabase) and a streaming standby
 * (PostgresStandby) share: the server container's probes and writable paths, and the
 * postgres_exporter sidecar.
 */
import { ResourceSpec, SecretKeyRef } from '../workloads/container';
import { ExporterSpec, StoreContainer } from './stateful-store';

/** The postgres_exporter sidecar's port (its default). */
export const POSTGRES_EXPORTER_PORT = 9187;

/** What the exporter sidecar logs in with and runs as. */
export interface PostgresExporterSource {
  readonly image: string;
  /** The monitoring role it logs in as. */
  readonly role: string;
  /** That role's password. */
  readonly password: SecretKeyRef;
  readonly resources: ResourceSpec;
  /** `DATA_SOURCE_URI`: the pod's own server over the loopback (the same URI works in a standby's pod). */
  readonly dataSourceUri: string;
}

/** `pg_isready` readiness and liveness probes on the pod's own server, and the paths postgres writes outside its volume. */
export function postgresServerHealth(port: number, database: string): Pick<StoreContainer, 'readiness' | 'liveness' | 'writablePaths'> {
  const pgIsReady = ['pg_isready', '--host=127.0.0.1', `--port=${port}`, '--username=postgres', `--dbname=${database}`];
  return {
    readiness: { exec: pgIsReady, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    liveness: { exec: pgIsReady, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 6 },
    writablePaths: [
      { path: '/var/run/postgresql', sizeLimit: '16Mi' },
      { path: '/tmp', sizeLimit: '256Mi' },
    ],
  };
}

/** The postgres_exporter sidecar (uid 65534, "nobody"). */
export function postgresExporterSidecar(e: PostgresExporterSource): ExporterSpec {
  return {
    image: e.image,
    port: POSTGRES_EXPORTER_PORT,
    runAs: { user: 65534 },
    resources: e.resources,
    env: { DATA_SOURCE_URI: e.dataSourceUri, DATA_SOURCE_USER: e.role },
    secretEnv: { DATA_SOURCE_PASS: e.password },
  };
}
