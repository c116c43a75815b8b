import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { findTool, toolEnvVar } from '../support/tools';

describe('findTool (test/support/tools.ts)', () => {
  const saved = { ...process.env };
  let dir: string;
  let tool: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'find-tool-'));
    tool = path.join(dir, 'fake-tool-x1');
    writeFileSync(tool, '#!/bin/sh\necho ok\n');
    chmodSync(tool, 0o755);
    writeFileSync(path.join(dir, 'not-executable'), 'x');
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('env var name', () => {
    expect(toolEnvVar('promtool')).toBe('PROMTOOL');
    expect(toolEnvVar('fake-tool-x1')).toBe('FAKE_TOOL_X1');
  });

  test('finds a tool on PATH', () => {
    process.env.PATH = `${dir}${path.delimiter}${saved.PATH ?? ''}`;
    expect(findTool('fake-tool-x1', 'hint')).toBe(tool);
  });

  test('$NAME wins and must be executable', () => {
    process.env.FAKE_TOOL_X1 = tool;
    expect(findTool('fake-tool-x1', 'hint')).toBe(tool);
    process.env.FAKE_TOOL_X1 = path.join(dir, 'not-executable');
    expect(() => findTool('fake-tool-x1', 'run the installer')).toThrow(
      /\$FAKE_TOOL_X1 is set to ".*not-executable", which is not an executable file.*run the installer/,
    );
  });

  test('missing tool throws with the install hint (never returns)', () => {
    process.env.PATH = dir;
    expect(() => findTool('definitely-missing-tool', 'Run scripts/install-x.sh.')).toThrow(
      /definitely-missing-tool not found \(looked at \$DEFINITELY_MISSING_TOOL, .*\.tools\/bin\/definitely-missing-tool and \$PATH\)\. Run scripts\/install-x\.sh\./,
    );
  });
});
