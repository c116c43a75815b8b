/**
 * Progress output. On a terminal, the current stage is one line updated in place; elsewhere (CI
 * logs, pipes) plain lines are printed when something changes, and at least every 30 seconds
 * while waiting so a log shows the deploy is alive.
 */
import { formatDuration } from './duration';

export interface OutputStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface StageProgress {
  /** 1-based. */
  index: number;
  total: number;
  name: string;
  objects: number;
  applied: number;
  ready: number;
  elapsedMs: number;
  /** `StatefulSet wondernest/postgres: 0 of 1 pods ready`, for objects not ready yet. */
  waiting: string[];
}

/** `[4/7] stores: applied 2/2, ready 1/2, 35s; waiting for StatefulSet wondernest/postgres: 0 of 1 pods ready` */
export function formatStageProgress(p: StageProgress): string {
  const head = `[${p.index}/${p.total}] ${p.name}: applied ${p.applied}/${p.objects}, ready ${p.ready}/${p.objects}, ${formatDuration(p.elapsedMs)}`;
  if (p.waiting.length === 0) return head;
  const shown = p.waiting.slice(0, 3).join('; ');
  return `${head}; waiting for ${shown}${p.waiting.length > 3 ? `; and ${p.waiting.length - 3} more` : ''}`;
}

const HEARTBEAT_MS = 30_000;

export class ProgressPrinter {
  private statusShown = '';
  private lastKey = '';
  private lastPrint = 0;

  constructor(
    private readonly out: OutputStream,
    private readonly now: () => number = Date.now,
  ) {}

  /** True on a terminal (updating line); false for plain output. */
  get tty(): boolean {
    return this.out.isTTY === true;
  }

  private clearStatus(): void {
    if (this.tty && this.statusShown) this.out.write('\r\x1b[2K');
  }

  /**
   * A transient status. `key` is what counts as a change for plain output (the text without the
   * elapsed time); on a terminal every call redraws the line.
   */
  status(text: string, key = text): void {
    if (this.tty) {
      const width = Math.max(20, (this.out.columns ?? 120) - 1);
      const fitted = text.length > width ? `${text.slice(0, width - 3)}...` : text;
      this.out.write(`\r\x1b[2K${fitted}`);
      this.statusShown = fitted;
      return;
    }
    const t = this.now();
    if (key !== this.lastKey || t - this.lastPrint >= HEARTBEAT_MS) {
      this.out.write(`${text}\n`);
      this.lastKey = key;
      this.lastPrint = t;
    }
  }

  /** A permanent line (replaces the status line on a terminal; the status is redrawn by the next status()). */
  line(text: string): void {
    this.clearStatus();
    this.statusShown = '';
    this.out.write(`${text}\n`);
  }

  /** Forget the status (call between stages so plain output prints the next stage's first status). */
  reset(): void {
    this.clearStatus();
    this.statusShown = '';
    this.lastKey = '';
  }
}
