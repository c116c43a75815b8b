import { dnsLabel, dnsSubdomain, Format } from '../../core/formats';
import { BackupEngine, BackupRestorePlan } from './backup-engine';
import { redisDumpScript, redisEnsureStoppedScript, redisRestoreScript } from './backup-scripts';

/** `format.test` as a plain boolean: its `value is string` guard would narrow a string to never when it fails. */
const conforms = (format: Format, value: string): boolean => format.test(value);

/** The data volume of a Redis store, which its restore replaces. */
export interface RedisDataVolume {
  /** PVC of the store's data, e.g. `data-redis-0` (StatefulStore.dataClaimName(0)). */
  readonly claimName: string;
  /** Where the store keeps its data inside that volume's mount. @default '/data' */
  readonly mountPath?: string;
  /** The StatefulSet to scale to 0 before a restore (named in the refusal message). */
  readonly statefulSet: string;
}

export interface RedisBackupEngineProps {
  /**
   * The store's data volume: the restore Job mounts this PVC, refuses to run while the store
   * answers, and installs the dump there. Without it no restore can be rendered.
   * @default - none: backups only
   */
  readonly data?: RedisDataVolume;
}

/**
 * Redis backups: `redis-cli --rdb` (`.rdb`), verified with `redis-check-rdb`. The restore replaces
 * files on the store's PVC while Redis is scaled to 0 (refused while it answers), moving the old
 * files aside and rebuilding the AOF. Source env: `REDIS_HOST`, `REDISCLI_AUTH` (and optionally
 * `REDIS_PORT`); the source image is the store's own `redis` image.
 */
export class RedisBackupEngine implements BackupEngine {
  public readonly name = 'redis';
  public readonly fileExtension = 'rdb';
  public readonly sourceEnv = ['REDIS_HOST', 'REDISCLI_AUTH'];
  public readonly dumpScript = redisDumpScript;
  public readonly restoreByDefault: boolean;
  public readonly restoreOptions: readonly string[];
  public readonly data?: RedisDataVolume;

  constructor(props: RedisBackupEngineProps = {}) {
    const data = props.data;
    if (data) {
      if (!conforms(dnsSubdomain, data.claimName))
        throw new Error(`RedisBackupEngine: data.claimName '${data.claimName}'; expected a PVC name, ${dnsSubdomain.expected}`);
      if (!conforms(dnsLabel, data.statefulSet))
        throw new Error(`RedisBackupEngine: data.statefulSet '${data.statefulSet}'; expected a StatefulSet name, ${dnsLabel.expected}`);
      if (data.mountPath !== undefined && !/^\/[^\s]*$/.test(data.mountPath))
        throw new Error(`RedisBackupEngine: data.mountPath '${data.mountPath}'; expected an absolute path such as '/data'`);
    }
    this.data = data;
    this.restoreByDefault = data !== undefined;
    this.restoreOptions = data ? [`data (claim '${data.claimName}')`] : [];
  }

  public restorePlan(): BackupRestorePlan {
    if (!this.data)
      throw new Error(
        "a redis restore needs the store's data volume (its PVC); got none. Give RedisBackupEngine `data`, or set restore: false",
      );
    const dataPath = this.data.mountPath ?? '/data';
    return {
      scripts: { 'ensure-stopped.sh': redisEnsureStoppedScript, 'restore.sh': redisRestoreScript },
      steps: [
        { kind: 'store', name: 'ensure-stopped', script: 'ensure-stopped.sh', env: { STORE_NAME: this.data.statefulSet } },
        {
          kind: 'store',
          name: 'restore',
          script: 'restore.sh',
          env: { REDIS_DATA_DIR: dataPath },
          volumeMounts: [{ name: 'data', mountPath: dataPath }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: this.data.claimName } }],
    };
  }
}
