import { BackupEngine, BackupRestorePlan } from './backup-engine';
import { BASE_BACKUP_EXTENSION, BASE_BACKUP_NAME_PREFIX, postgresBaseBackupScript } from './wal-archive-scripts';

/**
 * Physical base backups of PostgreSQL for point-in-time recovery: `pg_basebackup -Ft -z -X none`
 * (`postgres-base-<ts>.tar.gz`), checked for `backup_label`, `backup_manifest` and `pg_control`;
 * the WAL comes from the archive ({@link WalArchive}). Source env: `PGHOST`, `PGUSER` (allowed
 * replication connections), `PGPASSWORD`. It has no restore plan of its own: a recovery needs a
 * target time and the WAL, see {@link PostgresPointInTimeRecovery}.
 */
export class PostgresBaseBackupEngine implements BackupEngine {
  public readonly name = BASE_BACKUP_NAME_PREFIX;
  public readonly fileExtension = BASE_BACKUP_EXTENSION;
  public readonly sourceEnv = ['PGHOST', 'PGUSER', 'PGPASSWORD'];
  public readonly dumpScript = postgresBaseBackupScript;
  public readonly restoreByDefault = false;

  public restorePlan(): BackupRestorePlan {
    throw new Error(
      `engine '${this.name}' has no restore of its own; a base backup is restored with the WAL to a target time by PostgresPointInTimeRecovery's restore CronJob`,
    );
  }
}
