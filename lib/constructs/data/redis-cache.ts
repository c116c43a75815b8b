import { Construct } from 'constructs';
import { ResourceSpec, SecretKeyRef } from '../workloads/container';
import { redisStartScript, renderRedisConf } from './redis-config';
import { StatefulStore, StorageSpec } from './stateful-store';

export interface RedisCacheProps {
  readonly namespace: string;
  /** @default 'redis' */
  readonly name?: string;
  readonly partOf: string;
  /** Official `redis` image, pinned. */
  readonly image: string;
  readonly password: SecretKeyRef;
  /** maxmemory in Redis units, e.g. `256mb`. Keep it below the container's memory limit. */
  readonly maxmemory: string;
  /** @default 'allkeys-lru' */
  readonly maxmemoryPolicy?: string;
  readonly resources: ResourceSpec;
  readonly storage: StorageSpec;
  /** redis_exporter sidecar. @default - no exporter */
  readonly exporter?: { readonly image: string; readonly resources: ResourceSpec };
  readonly release?: string;
  /** @default - name */
  readonly helmPrefix?: string;
}

/**
 * What a {@link RedisCache} declares (read-only; for tests and tooling that check a running
 * Redis against its construct). The rendered manifests are derived from the same props.
 */
export interface RedisCacheDeclaration {
  /** maxmemory as given, e.g. `256mb`. */
  readonly maxmemory: string;
  readonly maxmemoryPolicy: string;
}

const REDIS_UID = 999; // `redis` in the official image
const CONFIG = '/etc/redis/redis.conf';
const AUTH_INCLUDE = '/run/redis/auth.conf';

/**
 * Redis on the official image, non-root with a read-only root fs: AOF + RDB
 * persistence on a retained PVC, password from a Secret (written at start into a
 * private include file, never rendered), maxmemory with an eviction policy,
 * authenticated probes and a redis_exporter sidecar.
 */
export class RedisCache extends StatefulStore {
  public readonly password: SecretKeyRef;
  /** What this cache declares (memory limit and eviction policy); does not affect the output. */
  public readonly declaration: RedisCacheDeclaration;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    const ping = ['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'];
    super(scope, id, {
      namespace: props.namespace,
      name: props.name ?? 'redis',
      partOf: props.partOf,
      component: 'cache',
      ports: { redis: 6379 },
      runAs: { user: REDIS_UID },
      dataPath: '/data',
      storage: props.storage,
      release: props.release,
      helmPrefix: props.helmPrefix,
      terminationGracePeriodSeconds: 30,
      configs: [
        {
          suffix: 'config',
          mountPath: '/etc/redis',
          defaultMode: 0o555,
          files: {
            'redis.conf': renderRedisConf({
              maxmemory: props.maxmemory,
              maxmemoryPolicy: props.maxmemoryPolicy ?? 'allkeys-lru',
              dir: '/data',
              authInclude: AUTH_INCLUDE,
            }),
            'start.sh': redisStartScript({ configPath: CONFIG, authInclude: AUTH_INCLUDE }),
          },
        },
      ],
      container: {
        image: props.image,
        runAs: { user: REDIS_UID },
        resources: props.resources,
        command: ['sh', '/etc/redis/start.sh'],
        secretEnv: { REDIS_PASSWORD: props.password },
        readiness: { exec: ping, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        liveness: { exec: ping, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 6 },
        startupSeconds: 120,
        writablePaths: [
          { path: '/run/redis', sizeLimit: '1Mi', memory: true },
          { path: '/tmp', sizeLimit: '64Mi' },
        ],
      },
      exporter: props.exporter && {
        image: props.exporter.image,
        port: 9121,
        runAs: { user: 59000 },
        resources: props.exporter.resources,
        env: { REDIS_ADDR: 'redis://127.0.0.1:6379' },
        secretEnv: { REDIS_PASSWORD: props.password },
      },
    });
    this.password = props.password;
    this.declaration = Object.freeze({ maxmemory: props.maxmemory, maxmemoryPolicy: props.maxmemoryPolicy ?? 'allkeys-lru' });
  }
}
