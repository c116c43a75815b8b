/**
 * Request bodies of the Elasticsearch and Kibana APIs a search setup Job sends, typed against the
 * official `@elastic/elasticsearch` client's request types (a type-only import: nothing of the
 * client runs). An object literal with a field those types do not have, or a field of the wrong
 * type, fails `tsc`.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { SecretKeyRef } from '../workloads/container';

/** Body of `PUT _ilm/policy/<name>`. */
export type IlmPolicyBody = Required<Pick<estypes.IlmPutLifecycleRequest, 'policy'>>;

/** Body of `PUT _index_template/<name>`. */
export type IndexTemplateBody = Pick<
  estypes.IndicesPutIndexTemplateRequest,
  'index_patterns' | 'template' | 'data_stream' | 'priority' | '_meta' | 'composed_of' | 'version' | 'allow_auto_create'
>;

/** Body of `PUT _snapshot/<name>`: the repository itself. */
export type SnapshotRepositoryBody = estypes.SnapshotRepository;

/** Body of `PUT _slm/policy/<id>`. */
export type SlmPolicyBody = Required<Pick<estypes.SlmPutLifecycleRequest, 'schedule' | 'name' | 'repository' | 'config' | 'retention'>>;

/** Body of `PUT _security/role/<name>`. */
export type RoleBody = Pick<estypes.SecurityPutRoleRequest, 'cluster' | 'indices' | 'applications' | 'metadata' | 'description' | 'run_as'>;

/**
 * Body of `PUT _security/user/<name>` without the password: the Job adds `password` from the
 * user's Secret at run time, so no password is ever in the ConfigMap.
 */
export type UserBody = Required<Pick<estypes.SecurityPutUserRequest, 'roles'>> &
  Pick<estypes.SecurityPutUserRequest, 'full_name' | 'email' | 'metadata' | 'enabled'>;

/**
 * Body of Kibana's `POST /api/data_views/data_view`. Kibana has no official TypeScript client, so
 * this is written from its API reference (fields used here only).
 */
export interface KibanaDataViewBody {
  readonly data_view: {
    /** Fixed id: the Job finds it with `GET /api/data_views/data_view/<id>` and creates it only when missing. */
    readonly id: string;
    /** The index pattern, e.g. `logs-*`. */
    readonly title: string;
    /** Display name. */
    readonly name: string;
    /** Field that holds each document's time. */
    readonly timeFieldName: string;
  };
  /** Never replace a data view a user may have edited: creation only. */
  readonly override: false;
}

/** Options of {@link logLifecyclePolicy}. */
export interface LogLifecycleOptions {
  /** Days a backing index lives after its rollover before it is deleted. */
  readonly deleteAfterDays: number;
  /**
   * Roll the write index over after this long.
   * @default '1d' (one index a day: retention then deletes whole days, as the seed's daily indices did)
   */
  readonly rolloverMaxAge?: string;
  /**
   * Roll over earlier when a primary shard reaches this size.
   * @default '10gb' (well under the 50gb Elastic recommends as the most per shard, so a busy day still recovers fast)
   */
  readonly rolloverMaxPrimaryShardSize?: string;
}

/** Hot phase with rollover, then delete: the lifecycle of a log data stream. */
export function logLifecyclePolicy(options: LogLifecycleOptions): IlmPolicyBody {
  return {
    policy: {
      phases: {
        hot: {
          min_age: '0ms',
          actions: {
            rollover: {
              max_age: options.rolloverMaxAge ?? '1d',
              max_primary_shard_size: options.rolloverMaxPrimaryShardSize ?? '10gb',
            },
          },
        },
        delete: { min_age: `${options.deleteAfterDays}d`, actions: { delete: {} } },
      },
      _meta: { managed_by: 'search-setup' },
    },
  };
}

/** Options of {@link logIndexTemplate}. */
export interface LogIndexTemplateOptions {
  /** Index patterns of the data streams the template makes, e.g. `['gateway-logs-*']`. */
  readonly patterns: readonly string[];
  /** Name of the ILM policy of the backing indices. */
  readonly lifecycle: string;
  /** Template priority: higher wins where patterns overlap (Elasticsearch's built-in `logs` template has 100). */
  readonly priority: number;
  /** Primary shards per backing index. */
  readonly shards: number;
  /** Replicas per primary (0 on a single node, where a replica can never be placed). */
  readonly replicas: number;
}

/**
 * A data-stream template for container logs: `@timestamp` as date, the Kubernetes metadata a
 * log shipper adds (namespace, pod, container, labels) as keywords, the message as text, and any
 * other string field as a keyword (dynamic template) so JSON logs stay aggregatable.
 */
export function logIndexTemplate(options: LogIndexTemplateOptions): IndexTemplateBody {
  return {
    index_patterns: [...options.patterns],
    data_stream: {},
    priority: options.priority,
    template: {
      settings: {
        number_of_shards: options.shards,
        number_of_replicas: options.replicas,
        'index.lifecycle.name': options.lifecycle,
      },
      mappings: {
        dynamic_templates: [{ strings_as_keywords: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } }],
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'text' },
          log: { type: 'text' },
          level: { type: 'keyword' },
          kubernetes: {
            properties: {
              namespace_name: { type: 'keyword' },
              pod_name: { type: 'keyword' },
              container_name: { type: 'keyword' },
              host: { type: 'keyword' },
            },
          },
        },
      },
    },
    _meta: { managed_by: 'search-setup' },
  };
}

/** Options of {@link s3SnapshotRepository}. */
export interface S3SnapshotRepositoryOptions {
  readonly bucket: string;
  /** Folder in the bucket, without leading or trailing `/`. */
  readonly basePath: string;
  /** Name of the node-level S3 client (`s3.client.<name>.*` in elasticsearch.yml and the keystore). @default 'default' */
  readonly client?: string;
}

/** An S3 snapshot repository (Amazon S3, or an S3-compatible server through the client's endpoint). */
export function s3SnapshotRepository(options: S3SnapshotRepositoryOptions): SnapshotRepositoryBody {
  return {
    type: 's3',
    settings: { bucket: options.bucket, base_path: options.basePath, client: options.client ?? 'default', compress: true },
  };
}

/** Options of {@link dailySnapshotPolicy}. */
export interface DailySnapshotOptions {
  /** Snapshot repository name (registered before the policy). */
  readonly repository: string;
  /** Snapshot name prefix; snapshots are named `<prefix>-<date>` plus Elasticsearch's UUID suffix. */
  readonly snapshotPrefix: string;
  /** Data streams and indices to snapshot. */
  readonly indices: readonly string[];
  /** Days a snapshot is kept. */
  readonly retentionDays: number;
  /** Elasticsearch cron (seconds first, then minutes, hours, day of month, month, day of week). @default '0 30 1 * * ?' */
  readonly schedule?: string;
}

/** A daily SLM policy: the log data streams, no cluster state, deleted after `retentionDays`. */
export function dailySnapshotPolicy(options: DailySnapshotOptions): SlmPolicyBody {
  return {
    // 01:30: before the stacks' own backups at 02:00 and later, so they do not compete for the object store.
    schedule: options.schedule ?? '0 30 1 * * ?',
    name: `<${options.snapshotPrefix}-{now/d}>`,
    repository: options.repository,
    config: { indices: [...options.indices], include_global_state: false, ignore_unavailable: true },
    // min_count keeps the last few even when the schedule stopped; max_count bounds a runaway.
    retention: { expire_after: `${options.retentionDays}d`, min_count: 3, max_count: options.retentionDays * 2 },
  };
}

/** A data view for Kibana's Discover. */
export function kibanaDataView(options: {
  readonly id: string;
  readonly pattern: string;
  readonly name: string;
  readonly timeField?: string;
}): KibanaDataViewBody {
  return {
    data_view: { id: options.id, title: options.pattern, name: options.name, timeFieldName: options.timeField ?? '@timestamp' },
    override: false,
  };
}

/** One thing the setup Job makes exist, with its typed request body. */
export type SearchSetupStep =
  | { readonly kind: 'ilm-policy'; readonly name: string; readonly body: IlmPolicyBody }
  | { readonly kind: 'index-template'; readonly name: string; readonly body: IndexTemplateBody }
  | { readonly kind: 'snapshot-repository'; readonly name: string; readonly body: SnapshotRepositoryBody }
  | { readonly kind: 'slm-policy'; readonly name: string; readonly body: SlmPolicyBody }
  | { readonly kind: 'data-view'; readonly body: KibanaDataViewBody }
  | { readonly kind: 'role'; readonly name: string; readonly body: RoleBody }
  /** A native-realm user, created or updated with its password from `password` (put again on every run, so a rotated Secret takes effect). */
  | { readonly kind: 'user'; readonly name: string; readonly body: UserBody; readonly password: SecretKeyRef }
  /** The password of a built-in (reserved) user such as `kibana_system`, which cannot be PUT as a user. */
  | { readonly kind: 'password'; readonly name: string; readonly password: SecretKeyRef };

/** Options of {@link logStorageSteps}. */
export interface LogStorageOptions {
  /** Data stream families: each gets an index template for `<prefix>-*`. */
  readonly streams: readonly string[];
  /** Days logs are kept (ILM deletes a backing index this long after its rollover). */
  readonly retentionDays: number;
  /** Replicas per primary: 0 on a single node. */
  readonly replicas: number;
  /** Daily snapshots to an S3 repository. @default - none */
  readonly snapshots?: S3SnapshotRepositoryOptions & { readonly retentionDays: number };
  /** A Kibana data view per stream. @default false */
  readonly dataViews?: boolean;
}

/**
 * The steps for container logs kept `retentionDays`: one ILM policy (`logs-<N>d`), one data-stream
 * template per stream (priority 200, above Elasticsearch's built-in `logs-*-*` at 100, so
 * `logs-<x>` streams are ours), optionally an S3 snapshot repository with a daily SLM policy over
 * the streams, and a Kibana data view per stream.
 */
export function logStorageSteps(options: LogStorageOptions): SearchSetupStep[] {
  const policy = `logs-${options.retentionDays}d`;
  const patterns = options.streams.map((s) => `${s}-*`);
  const steps: SearchSetupStep[] = [
    { kind: 'ilm-policy', name: policy, body: logLifecyclePolicy({ deleteAfterDays: options.retentionDays }) },
    ...options.streams.map((s): SearchSetupStep => ({
      kind: 'index-template',
      name: s,
      body: logIndexTemplate({ patterns: [`${s}-*`], lifecycle: policy, priority: 200, shards: 1, replicas: options.replicas }),
    })),
  ];
  if (options.snapshots) {
    const repository = 'log-snapshots';
    steps.push(
      { kind: 'snapshot-repository', name: repository, body: s3SnapshotRepository(options.snapshots) },
      {
        kind: 'slm-policy',
        name: 'daily-logs',
        body: dailySnapshotPolicy({
          repository,
          snapshotPrefix: 'logs',
          indices: patterns,
          retentionDays: options.snapshots.retentionDays,
        }),
      },
    );
  }
  if (options.dataViews)
    for (const s of options.streams) steps.push({ kind: 'data-view', body: kibanaDataView({ id: s, pattern: `${s}-*`, name: `${s}-*` }) });
  return steps;
}
