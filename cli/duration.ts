/** Durations on the command line (`90s`, `5m`, `1h30m`) and in output (`1m12s`). */

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * Parses a duration such as `90s`, `5m`, `1h30m`, `1m30s` or `500ms` into milliseconds.
 * @throws Error saying what was expected (a unit is required: a bare `300` is ambiguous)
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(trimmed);
  if (!trimmed || !match || match.slice(1).every((g) => g === undefined)) {
    throw new Error(`got '${text}'; expected a duration with a unit, such as 90s, 5m or 1h30m`);
  }
  const [, h, m, s, ms] = match;
  const total = Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s + Number(ms ?? 0);
  if (total <= 0) throw new Error(`got '${text}'; expected a duration greater than zero`);
  return total;
}

/** 0 -> `0s`, 72_000 -> `1m12s`, 3_600_000 -> `1h0m0s`, 1500 -> `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
