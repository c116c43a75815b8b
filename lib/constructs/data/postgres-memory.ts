/**
 * PostgreSQL memory settings derived from the container's memory limit (the cgroup limit is all
 * the memory the server, its backends and the page cache it benefits from may use).
 *
 * The rule, for a memory limit L and `max_connections` C (PostgreSQL's default 100 when unset):
 * - `shared_buffers`       = L / 4   (25 %: the usual dedicated-server share, the WonderNest seed's 2GB of 8GB)
 * - `effective_cache_size` = L * 3/4 (75 %: the seed's 6GB of 8GB; a planner hint, allocates nothing)
 * - `maintenance_work_mem` = L / 16, at most 2GB (the seed's 512MB of 8GB; VACUUM and CREATE INDEX
 *   run a few at a time, and more than 2GB buys little)
 * - `work_mem`             = (L - shared_buffers) / C (the memory left after the shared buffers,
 *   shared by every connection running one sort or hash at a time; the seed's 8GB / 200
 *   connections gives 30MB against its hand-picked 32MB)
 * Each value is rounded down to whole MB and written in MB, so the output does not depend on
 * how the limit was spelled (`2Gi` and `2048Mi` give the same settings).
 *
 * Settings given explicitly to the database override the derived ones, one by one.
 */
import { memoryBytes } from '../../core/formats';

/** The memory settings {@link derivePostgresMemorySettings} writes. */
export interface PostgresMemorySettings {
  readonly shared_buffers: string;
  readonly effective_cache_size: string;
  readonly maintenance_work_mem: string;
  readonly work_mem: string;
}

/** PostgreSQL's `max_connections` when postgresql.conf does not set it. */
export const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;

/**
 * Smallest memory limit the rule accepts: 256Mi leaves 64MB of shared buffers, below which the
 * server spends its time evicting pages (and the image's own defaults would serve better).
 */
export const POSTGRES_MIN_MEMORY_LIMIT = '256Mi';

const MB = 1024 * 1024;
const MAX_MAINTENANCE_WORK_MEM_MB = 2048;
/** PostgreSQL's lower bound of `work_mem` is 64kB; the rule asks for at least 1MB per connection. */
const MIN_WORK_MEM_MB = 1;

/**
 * The memory settings for a container memory limit and a connection count (see the module
 * comment for the rule).
 * @param memoryLimit Kubernetes memory quantity of the postgres container's limit, e.g. `2Gi`
 * @param maxConnections `max_connections` of the server @default 100
 * @throws Error naming the input, the bad value and what is allowed: a limit that is not a
 *   quantity or is below {@link POSTGRES_MIN_MEMORY_LIMIT}, a connection count that is not an
 *   integer >= 1, or a limit too small to give each connection 1MB of work_mem.
 */
export function derivePostgresMemorySettings(
  memoryLimit: string,
  maxConnections: number = POSTGRES_DEFAULT_MAX_CONNECTIONS,
): PostgresMemorySettings {
  let bytes: number;
  try {
    bytes = memoryBytes(memoryLimit);
  } catch {
    throw new Error(`postgres memory settings: memoryLimit got ${JSON.stringify(memoryLimit)}; expected a memory quantity such as '2Gi'`);
  }
  if (bytes < memoryBytes(POSTGRES_MIN_MEMORY_LIMIT)) {
    throw new Error(
      `postgres memory settings: memoryLimit got '${memoryLimit}'; expected at least ${POSTGRES_MIN_MEMORY_LIMIT} (25 % of it is shared_buffers)`,
    );
  }
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new Error(`postgres memory settings: max_connections got ${JSON.stringify(maxConnections)}; expected an integer >= 1`);
  }
  const limitMb = Math.floor(bytes / MB);
  const sharedBuffers = Math.floor(limitMb / 4);
  const workMem = Math.floor((limitMb - sharedBuffers) / maxConnections);
  if (workMem < MIN_WORK_MEM_MB) {
    const needed = Math.ceil((maxConnections * MIN_WORK_MEM_MB * 4) / 3);
    throw new Error(
      `postgres memory settings: memoryLimit got '${memoryLimit}' for max_connections ${maxConnections}; ` +
        `expected at least ${needed}Mi (work_mem = (limit - shared_buffers) / max_connections must reach ${MIN_WORK_MEM_MB}MB), or fewer connections`,
    );
  }
  return {
    shared_buffers: `${sharedBuffers}MB`,
    effective_cache_size: `${Math.floor((limitMb * 3) / 4)}MB`,
    maintenance_work_mem: `${Math.min(MAX_MAINTENANCE_WORK_MEM_MB, Math.floor(limitMb / 16))}MB`,
    work_mem: `${workMem}MB`,
  };
}
