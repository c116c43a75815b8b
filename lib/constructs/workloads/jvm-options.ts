/**
 * JVM options for containers (`JAVA_TOOL_OPTIONS`, read by every HotSpot JVM at start).
 *
 * The heap is sized from the container's memory limit (`-XX:MaxRAMPercentage`, cgroup-aware since
 * JDK 10), never as a fixed `-Xmx`: changing the limit (config or Helm values) resizes the heap
 * with it. The rest of the limit is left for metaspace, thread stacks, code cache and direct
 * buffers. An OutOfMemoryError exits the JVM so Kubernetes restarts the pod instead of leaving a
 * half-dead process.
 */
import { memoryBytes } from '../../core/formats';

/** Garbage collectors that can be selected. */
export const JVM_GARBAGE_COLLECTORS = ['G1', 'Parallel', 'Serial', 'Z'] as const;

/** Options of {@link jvmToolOptions}. */
export interface JvmOptions {
  /** Garbage collector. @default 'G1' */
  readonly gc?: (typeof JVM_GARBAGE_COLLECTORS)[number];
  /** Maximum heap as a percentage of the container memory limit (10-90). @default 75 */
  readonly maxRamPercentage?: number;
  /** Initial heap as a percentage of the container memory limit; at most maxRamPercentage. @default 50 */
  readonly initialRamPercentage?: number;
  /** G1 pause-time goal in milliseconds (G1 only). @default 200 */
  readonly maxGcPauseMillis?: number;
  /** Further options, each starting with `-` (e.g. `-Dfile.encoding=UTF-8`). @default [] */
  readonly extraOptions?: readonly string[];
}

/** Smallest container memory limit a JVM service is given (heap plus non-heap). */
export const JVM_MIN_MEMORY_LIMIT = '256Mi';

function fail(field: string, value: unknown, expected: string): never {
  throw new Error(`jvm.${field}: got ${JSON.stringify(value)}; expected ${expected}`);
}

/**
 * Renders `JAVA_TOOL_OPTIONS`: the collector, heap percentages of the container limit,
 * `-XX:+ExitOnOutOfMemoryError`, `-Djava.io.tmpdir=/tmp` and the extra options.
 * @param memoryLimit the container's memory limit, checked against {@link JVM_MIN_MEMORY_LIMIT}
 * @throws Error naming the field, the value and what is allowed.
 */
export function jvmToolOptions(o: JvmOptions, memoryLimit: string): string {
  const gc = o.gc ?? 'G1';
  if (!JVM_GARBAGE_COLLECTORS.includes(gc)) fail('gc', gc, `one of ${JVM_GARBAGE_COLLECTORS.map((g) => `'${g}'`).join(', ')}`);
  const max = o.maxRamPercentage ?? 75;
  if (typeof max !== 'number' || !Number.isFinite(max) || max < 10 || max > 90)
    fail('maxRamPercentage', max, 'a number from 10 to 90 (percent of the container memory limit; the rest is non-heap memory)');
  const initial = o.initialRamPercentage ?? Math.min(50, max);
  if (typeof initial !== 'number' || !Number.isFinite(initial) || initial < 1 || initial > max)
    fail('initialRamPercentage', initial, `a number from 1 to maxRamPercentage (${max})`);
  const pause = o.maxGcPauseMillis ?? 200;
  if (!Number.isInteger(pause) || pause < 1) fail('maxGcPauseMillis', pause, 'an integer >= 1');
  if (o.maxGcPauseMillis !== undefined && gc !== 'G1') fail('maxGcPauseMillis', o.maxGcPauseMillis, "unset unless gc is 'G1'");
  for (const [i, opt] of (o.extraOptions ?? []).entries()) {
    if (typeof opt !== 'string' || !/^-[^\s]+$/.test(opt))
      fail(`extraOptions[${i}]`, opt, "one option starting with '-' and without spaces, such as '-Dfile.encoding=UTF-8'");
    if (/^-Xm[xs]|^-XX:(Max|Initial|Min)RAM(Percentage|Fraction)?=/.test(opt))
      fail(`extraOptions[${i}]`, opt, 'no heap size option: the heap follows the container limit (use maxRamPercentage)');
  }
  if (memoryBytes(memoryLimit) < memoryBytes(JVM_MIN_MEMORY_LIMIT)) {
    fail(
      'memoryLimit',
      memoryLimit,
      `a container memory limit of at least ${JVM_MIN_MEMORY_LIMIT} for a JVM (heap ${max}% of it plus non-heap memory)`,
    );
  }
  const pct = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n));
  return [
    `-XX:+Use${gc}GC`,
    ...(gc === 'G1' ? [`-XX:MaxGCPauseMillis=${pause}`] : []),
    `-XX:MaxRAMPercentage=${pct(max)}`,
    `-XX:InitialRAMPercentage=${pct(initial)}`,
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.io.tmpdir=/tmp',
    ...(o.extraOptions ?? []),
  ].join(' ');
}
