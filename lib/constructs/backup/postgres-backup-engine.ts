import { BackupEngine, BackupRestorePlan } from './backup-engine';
import { postgresDumpScript, postgresRecreateRestoreScript, postgresRestoreScript, postgresSafetyDumpScript } from './backup-scripts';

/** How a PostgreSQL restore replaces the data. */
export type PostgresRestoreMode = 'in-place' | 'recreate';

export interface PostgresBackupEngineProps {
  /**
   * How the restore Job replaces the data.
   * - `in-place`: one container verifies the dump, takes a safety dump into the pod's scratch space,
   *   and restores in one transaction after dropping the dump's schemas ({@link postgresRestoreScript}).
   * - `recreate`: the seed's steps with a durable safety net: init containers verify the dump, take
   *   a safety dump and upload it to `<prefix>/pre-restore/` BEFORE anything changes; the restore
   *   then builds a new database from the dump, verifies it, terminates the sessions of the live
   *   database and swaps the new one in, and verifies again ({@link postgresRecreateRestoreScript}).
   *   The source's `PGUSER` must be a superuser.
   * @default 'in-place'
   */
  readonly restoreMode?: PostgresRestoreMode;
}

/**
 * PostgreSQL backups: `pg_dump --clean --if-exists | gzip -9` (`.sql.gz`), verified with `gzip -t`
 * and pg_dump's completion marker; restore in place or by recreating the database, always after a
 * safety dump. Source env: `PGHOST`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` (and optionally
 * `PGPORT`); the source image is the database's own `postgres` image.
 */
export class PostgresBackupEngine implements BackupEngine {
  public readonly name = 'postgres';
  public readonly fileExtension = 'sql.gz';
  public readonly sourceEnv = ['PGHOST', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'];
  public readonly dumpScript = postgresDumpScript;
  public readonly restoreByDefault = true;
  public readonly restoreOptions: readonly string[];
  public readonly restoreMode: PostgresRestoreMode;

  constructor(props: PostgresBackupEngineProps = {}) {
    const mode = props.restoreMode ?? 'in-place';
    if (!['in-place', 'recreate'].includes(mode))
      throw new Error(`PostgresBackupEngine: restoreMode '${mode}'; expected 'in-place' or 'recreate'`);
    this.restoreMode = mode;
    this.restoreOptions = props.restoreMode !== undefined ? [`restoreMode '${props.restoreMode}'`] : [];
  }

  public restorePlan(): BackupRestorePlan {
    if (this.restoreMode === 'in-place') {
      return { scripts: { 'restore.sh': postgresRestoreScript }, steps: [{ kind: 'store', name: 'restore', script: 'restore.sh' }] };
    }
    return {
      scripts: { 'safety-dump.sh': postgresSafetyDumpScript, 'restore.sh': postgresRecreateRestoreScript },
      steps: [
        { kind: 'store', name: 'safety-dump', script: 'safety-dump.sh' },
        { kind: 'upload', name: 'safety-upload', subPrefix: 'pre-restore' },
        { kind: 'store', name: 'restore', script: 'restore.sh', env: { RESTORE_KEEP_PREVIOUS: 'no' } },
      ],
    };
  }
}
