import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  BACKUP_FILE_NAME_PATTERN,
  backupFileNamePattern,
  BUILT_IN_BACKUP_EXTENSIONS,
  s3DownloadScript,
  s3KeySelectionFunctions,
  s3Scripts,
  s3UploadScript,
} from '../lib/constructs/backup/backup-scripts';

const ASSETS = path.join(__dirname, '..', 'lib', 'constructs', 'backup', 'assets');

describe('the backup script assets', () => {
  const files = fs.readdirSync(ASSETS, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(sh|awk)$/.test(f));
  test('are the ones the scripts use', () => {
    expect(files.sort()).toEqual([
      'include/backup-name.awk',
      'include/common.sh',
      'include/pg-copy-row-counts.awk',
      'include/postgres-restore-read.sh',
      'include/postgres-restore-verify-db.sh',
      'include/postgres-restore-verify-dump.sh',
      'include/postgres.sh',
      'include/s3-download.sh',
      'include/s3-key-selection.sh',
      'include/s3.sh',
      'mongodb-common.sh',
      'mongodb-dump.sh',
      'mongodb-restore.sh',
      'mongodb-safety-dump.sh',
      'pitr-fetch.sh',
      'pitr-recover.sh',
      'postgres-basebackup.sh',
      'postgres-dump.sh',
      'postgres-recreate-restore.sh',
      'postgres-restore.sh',
      'postgres-safety-dump.sh',
      'redis-dump.sh',
      'redis-ensure-stopped.sh',
      'redis-restore.sh',
      's3-download.sh',
      's3-upload.sh',
      'wal-ship.sh',
      'wal-spool.sh',
    ]);
  });
  test.each(files)('%s writes its placeholders @name@ (filled by lib/core/asset-template.ts), not {{NAME}}', (file) => {
    expect(fs.readFileSync(path.join(ASSETS, file), 'utf8')).not.toMatch(/\{\{|\}\}/);
  });
  test.each(files.filter((f) => !f.startsWith('include/')))('%s names itself as the source of the rendered copy', (file) => {
    expect(fs.readFileSync(path.join(ASSETS, file), 'utf8').split('\n')[2]).toBe(
      `# Rendered from lib/constructs/backup/assets/${file} at synth (includes and values filled in); edit that file, not this copy.`,
    );
  });
  test.each(files.filter((f) => !f.startsWith('include/')))('%s parses as shell before rendering (directives are comments)', (file) => {
    const text = fs.readFileSync(path.join(ASSETS, file), 'utf8');
    const shell = text.startsWith('#!/bin/sh') ? 'sh' : 'bash';
    const r = spawnSync(shell, ['-n'], { input: text, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('s3Scripts', () => {
  test('for the built-in extensions it is the exported upload, download and key selection', () => {
    expect(BUILT_IN_BACKUP_EXTENSIONS).toEqual(['sql.gz', 'rdb']);
    expect(s3Scripts(BUILT_IN_BACKUP_EXTENSIONS)).toEqual({
      upload: s3UploadScript,
      download: s3DownloadScript,
      keySelectionFunctions: s3KeySelectionFunctions,
    });
    expect(s3UploadScript).toContain('check_backup_name "$name" sql.gz rdb\n');
  });

  test('another extension: named in the checks and recognised by the key selection', () => {
    const s = s3Scripts([...BUILT_IN_BACKUP_EXTENSIONS, 'archive.gz']);
    expect(s.upload).toContain('check_backup_name "$name" sql.gz rdb archive.gz\n');
    expect(s.download).toContain('check_backup_name "$name" sql.gz rdb archive.gz\n');
    expect(s.keySelectionFunctions).toContain(
      'else if (name ~ /[.]archive[.]gz$/) { P_EXT = ".archive.gz"; stem = substr(name, 1, length(name) - 11) }',
    );
    const keys = [
      'db/mongo-20240101T000000Z.archive.gz',
      'db/mongo-20240101T000000Z.archive.gz.sha256',
      'db/mongo-20240201T000000Z.archive',
      'db/mongo-20240201T000000Z.archive.sha256',
    ];
    const r = spawnSync('sh', ['-c', `${s.keySelectionFunctions}\nselect_latest_key db mongo`], {
      input: keys.join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('db/mongo-20240101T000000Z.archive.gz\n');
    const builtIn = spawnSync('sh', ['-c', `${s3KeySelectionFunctions}\nselect_latest_key db mongo`], {
      input: keys.join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(builtIn.stdout).toBe('');
  });

  test.each([
    ['no extension', [], 's3Scripts: extensions is empty'],
    ['a leading dot', ['.gz'], "s3Scripts: extension '.gz'; expected lowercase letters and digits in dot-separated parts"],
    ['a slash', ['tar/gz'], "s3Scripts: extension 'tar/gz'"],
    ['a duplicate', ['rdb', 'rdb'], "s3Scripts: extension 'rdb' is listed twice"],
  ])('refuses %s', (_what, extensions, message) => {
    expect(() => s3Scripts(extensions)).toThrow(message);
  });
});

describe('backupFileNamePattern', () => {
  test('the built-in pattern is the one for sql.gz and rdb', () => {
    expect(BACKUP_FILE_NAME_PATTERN.source).toBe('^([A-Za-z0-9][A-Za-z0-9._-]*)-(\\d{8}T\\d{6}Z)\\.(sql\\.gz|rdb)$');
  });
  test('matches an extension literally', () => {
    const p = backupFileNamePattern(['archive.gz']);
    expect(p.exec('mongo-20240101T000000Z.archive.gz')?.slice(1)).toEqual(['mongo', '20240101T000000Z', 'archive.gz']);
    expect('mongo-20240101T000000Z.archiveXgz').not.toMatch(p);
  });
  test('refuses a bad extension', () => {
    expect(() => backupFileNamePattern(['GZ'])).toThrow("backupFileNamePattern: extension 'GZ'");
  });
});
