import { formatStageProgress, ProgressPrinter } from '../../cli/progress';

function stream(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { out: { isTTY, columns, write: (s: string) => chunks.push(s) }, chunks };
}

const base = { index: 4, total: 7, name: 'stores', objects: 2, applied: 2, ready: 1, elapsedMs: 35_000 };

describe('formatStageProgress', () => {
  test('counts, elapsed time and what is awaited', () => {
    expect(formatStageProgress({ ...base, waiting: ['StatefulSet wondernest/postgres: 0 of 1 pods ready'] })).toBe(
      '[4/7] stores: applied 2/2, ready 1/2, 35s; waiting for StatefulSet wondernest/postgres: 0 of 1 pods ready',
    );
    expect(formatStageProgress({ ...base, waiting: [] })).toBe('[4/7] stores: applied 2/2, ready 1/2, 35s');
  });

  test('at most three awaited objects, then a count', () => {
    const waiting = ['a', 'b', 'c', 'd', 'e'].map((n) => `Deployment x/${n}: 0 of 1`);
    expect(formatStageProgress({ ...base, waiting })).toBe(
      '[4/7] stores: applied 2/2, ready 1/2, 35s; waiting for Deployment x/a: 0 of 1; Deployment x/b: 0 of 1; Deployment x/c: 0 of 1; and 2 more',
    );
  });
});

describe('ProgressPrinter', () => {
  test('terminal: one line redrawn in place, cut to the width; permanent lines replace it', () => {
    const { out, chunks } = stream(true, 41);
    const p = new ProgressPrinter(out);
    p.status('[4/7] stores: applied 1/2, ready 0/2, 1s');
    p.status('[4/7] stores: applied 2/2, ready 1/2, 3s; waiting for StatefulSet wondernest/postgres');
    p.line('[4/7] stores: 2 objects applied and ready (5s)');
    expect(chunks).toEqual([
      '\r\x1b[2K[4/7] stores: applied 1/2, ready 0/2, 1s',
      `\r\x1b[2K${'[4/7] stores: applied 2/2, ready 1/2, 3s; waiting'.slice(0, 37)}...`,
      '\r\x1b[2K',
      '[4/7] stores: 2 objects applied and ready (5s)\n',
    ]);
  });

  test('plain output: a line when the key changes, and a heartbeat every 30s while unchanged', () => {
    const { out, chunks } = stream(false);
    let now = 0;
    const p = new ProgressPrinter(out, () => now);
    p.status('waiting 0s', 'k1');
    now = 2000;
    p.status('waiting 2s', 'k1');
    now = 4000;
    p.status('changed 4s', 'k2');
    now = 20_000;
    p.status('changed 20s', 'k2');
    now = 34_000;
    p.status('changed 34s', 'k2');
    p.line('done');
    expect(chunks).toEqual(['waiting 0s\n', 'changed 4s\n', 'changed 34s\n', 'done\n']);
  });

  test('plain output never writes control characters', () => {
    const { out, chunks } = stream(false);
    const p = new ProgressPrinter(out);
    p.status('a');
    p.line('b');
    p.reset();
    p.status('a');
    expect(chunks.join('')).toBe('a\nb\na\n');
  });
});
