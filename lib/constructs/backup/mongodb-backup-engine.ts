import { readAsset } from '../../core/assets';
import { BackupEngine, BackupRestorePlan } from './backup-engine';
import { backupScript, LATEST_NAME_FILE, RESTORE_NAME_FILE } from './backup-scripts';

/** Extension of a MongoDB dump: a gzip-compressed mongodump archive. */
export const MONGODB_BACKUP_EXTENSION = 'archive.gz';

export interface MongoDbBackupEngineProps {
  /**
   * Dump with `--oplog` and restore with `--oplogReplay`. mongodump copies the collections one after
   * the other while writes go on, so without the oplog a restore mixes collections from different
   * moments (an order without its items). With it, mongodump also records the oplog entries written
   * during the dump, and mongorestore replays them: the restore is the whole instance as it was when
   * the dump ended. It needs a replica set member (MongoDatabase always runs a replica set, even of
   * one member) and a dump of the whole instance, which is what this engine makes; set false only
   * for a standalone mongod, which has no oplog.
   * @default true
   */
  readonly oplog?: boolean;
}

/**
 * MongoDB backups: `mongodump --archive --gzip` of the whole instance (`--oplog` by default), into
 * `mongodb-<ts>.archive.gz`, verified (`gzip -t` over the whole stream, then `mongorestore --dryRun`
 * reads the archive) before it gets its name, then checksummed and uploaded by the shared S3 step.
 * The restore Job verifies the download, takes a safety dump that is uploaded under `pre-restore/`
 * BEFORE anything changes, then runs `mongorestore --drop` (with `--oplogReplay` when dumps carry
 * the oplog). Users and roles are restored with the data: run the database's init Job again
 * afterwards to set the passwords of its Secrets.
 *
 * Source env (MongoDatabase.backupSource()): `MONGODB_HOSTS`, `MONGODB_USERNAME`, `MONGODB_PASSWORD`
 * (a user with the roles backup and restore), optional `MONGODB_REPLICA_SET`, `MONGODB_AUTH_SOURCE`
 * (default admin), `MONGODB_TLS`, `MONGODB_TLS_CA_PEM`. The password reaches the tools in a private
 * `--config` file, never on a command line. The source image is the database's own `mongo` image
 * (bash, mongodump and mongorestore of the server's version). The scripts are assets/mongodb-*.sh,
 * composed with {@link backupScript}; they read everything from the environment.
 */
export class MongoDbBackupEngine implements BackupEngine {
  public readonly name = 'mongodb';
  public readonly fileExtension = MONGODB_BACKUP_EXTENSION;
  public readonly sourceEnv = ['MONGODB_HOSTS', 'MONGODB_USERNAME', 'MONGODB_PASSWORD'];
  public readonly dumpScript: string;
  /** The restore plan's safety dump (`safety-dump.sh`). */
  public readonly safetyDumpScript: string;
  /** The restore plan's restore (`restore.sh`). */
  public readonly restoreScript: string;
  public readonly restoreByDefault = true;
  public readonly restoreOptions: readonly string[] = [];
  /** Whether dumps carry the oplog (and restores replay it). */
  public readonly oplog: boolean;

  constructor(props: MongoDbBackupEngineProps = {}) {
    const oplog = props.oplog ?? true;
    if (typeof oplog !== 'boolean') throw new Error(`MongoDbBackupEngine: oplog ${JSON.stringify(oplog)}; expected true or false`);
    this.oplog = oplog;
    this.dumpScript = mongoBackupScript(
      'mongodb-dump',
      'mongodump --archive --gzip of the whole instance into $BACKUP_DIR, verified, with a .sha256',
      'mongodb-dump.sh',
      oplog,
    );
    this.safetyDumpScript = mongoBackupScript(
      'mongodb-safety-dump',
      'verify the dump to restore, then dump the current data before the restore',
      'mongodb-safety-dump.sh',
      oplog,
    );
    this.restoreScript = mongoBackupScript(
      'mongodb-restore',
      'verify the dump again, then mongorestore --drop from it',
      'mongodb-restore.sh',
      oplog,
    );
  }

  public restorePlan(): BackupRestorePlan {
    return {
      scripts: { 'safety-dump.sh': this.safetyDumpScript, 'restore.sh': this.restoreScript },
      steps: [
        { kind: 'store', name: 'safety-dump', script: 'safety-dump.sh' },
        { kind: 'upload', name: 'safety-upload', subPrefix: 'pre-restore' },
        { kind: 'store', name: 'restore', script: 'restore.sh' },
      ],
    };
  }
}

/** Leading `# shellcheck` directives of an asset: they serve the asset linted alone, not the composed script. */
const LEADING_DIRECTIVES = /^(# shellcheck [^\n]*\n)+/;

/**
 * One script: backupScript's header and helpers, this engine's settings (plain assignments, nothing
 * to fill into the assets), assets/mongodb-common.sh, then the script's own asset.
 */
function mongoBackupScript(name: string, description: string, asset: string, oplog: boolean): string {
  const part = (file: string) => readAsset(__dirname, `assets/${file}`).replace(LEADING_DIRECTIVES, '');
  const body = `${part('mongodb-common.sh')}\n${part(asset)}`;
  const settings: Record<string, string> = {
    LATEST_NAME_FILE,
    RESTORE_NAME_FILE,
    MONGODB_BACKUP_EXTENSION,
    MONGODB_OPLOG: oplog ? 'yes' : 'no',
  };
  const used = Object.entries(settings).filter(([variable]) => body.includes(`$${variable}`));
  const header = [
    '# Settings of this engine (lib/constructs/backup/mongodb-backup-engine.ts).',
    ...used.map(([variable, value]) => `${variable}=${shellWord(value)}`),
  ];
  return backupScript({ name, description, body: `${header.join('\n')}\n\n${body}` });
}

/** A value as one single-quoted shell word. */
function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
