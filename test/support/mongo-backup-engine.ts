/**
 * A backup engine defined OUTSIDE lib/, as a store the library does not know would bring its own:
 * MongoDB-style (`mongodump --archive --gzip`, verified with `mongorestore --dryRun`, restore with
 * `mongorestore --drop` after a safety dump that is uploaded first). It exists to show that
 * DatabaseBackup takes a new engine without changes (test/lib/backup-engine-plugin.test.ts
 * synthesizes it; test/integration/backup-restore.test.ts runs what it synthesizes end to end,
 * with stand-in mongodump/mongorestore because no MongoDB server can be installed here).
 */
import { BackupEngine, BackupRestorePlan } from '../../lib/constructs/backup/backup-engine';
import { backupScript, LATEST_NAME_FILE, RESTORE_NAME_FILE } from '../../lib/constructs/backup/backup-scripts';

const EXT = 'archive.gz';

/** Reads the dump to restore from restore-name and verifies it (checksum, then mongorestore --dryRun). */
const VERIFY_DOWNLOADED = `read_name_file "$BACKUP_DIR/${RESTORE_NAME_FILE}"
name=$BACKUP_NAME
check_backup_name "$name" ${EXT}
verify_checksum "$BACKUP_DIR" "$name"
mongorestore --uri="$MONGODB_URI" --dryRun --archive="$BACKUP_DIR/$name" --gzip --quiet || die "mongorestore --dryRun rejected $name"
log "mongorestore --dryRun accepts $name"
`;

/** mongodump_to DIR NAME: a verified archive with its .sha256. */
const DUMP_FUNCTION = `mongodump_to() {
  [ ! -e "$1/$2" ] || die "$1/$2 already exists"
  PARTIAL="$1/.$2.partial"
  log "mongodump --archive --gzip -> $1/$2"
  mongodump --uri="$MONGODB_URI" --archive="$PARTIAL" --gzip --quiet || die "mongodump failed"
  mongorestore --uri="$MONGODB_URI" --dryRun --archive="$PARTIAL" --gzip --quiet || die "mongorestore --dryRun rejected the dump"
  mv -f "$PARTIAL" "$1/$2"
  PARTIAL=
  write_checksum "$1" "$2"
}
`;

export const mongoDumpScript = backupScript({
  name: 'mongodb-dump',
  description: 'mongodump --archive --gzip into $BACKUP_DIR, verified with mongorestore --dryRun, with a .sha256',
  body: `${DUMP_FUNCTION}
require_env MONGODB_URI BACKUP_DIR BACKUP_NAME_PREFIX
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"
name="$BACKUP_NAME_PREFIX-$(utc_ts).${EXT}"
mongodump_to "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/${LATEST_NAME_FILE}" "$name"
log "backup complete: $name"
`,
});

export const mongoSafetyDumpScript = backupScript({
  name: 'mongodb-safety-dump',
  description: 'verify the dump to restore, then dump the current data before the restore',
  body: `${DUMP_FUNCTION}
require_env MONGODB_URI BACKUP_DIR
check_writable_dir "$BACKUP_DIR"
${VERIFY_DOWNLOADED}
safety="pre-restore-$(utc_ts).${EXT}"
mongodump_to "$BACKUP_DIR" "$safety"
write_name_file "$BACKUP_DIR/${LATEST_NAME_FILE}" "$safety"
log "safety dump complete: $safety"
`,
});

export const mongoRestoreScript = backupScript({
  name: 'mongodb-restore',
  description: 'verify a dump again, then mongorestore --drop from it',
  body: `require_env MONGODB_URI BACKUP_DIR
${VERIFY_DOWNLOADED}
log "mongorestore --drop from $name"
mongorestore --uri="$MONGODB_URI" --drop --archive="$BACKUP_DIR/$name" --gzip --quiet || die "mongorestore of $name failed"
log "restore of $name complete"
`,
});

/** The engine: name `mongodb`, dumps `mongodb-<ts>.archive.gz`, needs MONGODB_URI. */
export class MongoBackupEngine implements BackupEngine {
  public readonly name = 'mongodb';
  public readonly fileExtension = EXT;
  public readonly sourceEnv = ['MONGODB_URI'];
  public readonly dumpScript = mongoDumpScript;
  public readonly restoreByDefault = true;

  public restorePlan(): BackupRestorePlan {
    return {
      scripts: { 'safety-dump.sh': mongoSafetyDumpScript, 'restore.sh': mongoRestoreScript },
      steps: [
        { kind: 'store', name: 'safety-dump', script: 'safety-dump.sh' },
        { kind: 'upload', name: 'safety-upload', subPrefix: 'pre-restore' },
        { kind: 'store', name: 'restore', script: 'restore.sh' },
      ],
    };
  }
}
