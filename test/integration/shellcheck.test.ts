/**
 * shellcheck over every shell script the project ships:
 * (a) every `*.sh` asset file under lib/ as written (placeholders `@name@` unfilled), in the
 *     dialect its `#!` line (or a `# shellcheck shell=` directive) names, with its `# @include`
 *     lines resolved the way `shellcheck -x` follows `source` (lib/core/asset-template.ts,
 *     includeAssetLines); a finding is named by the file and line it is written on. An included
 *     fragment is also linted on its own, declaring its dialect in a `# shellcheck shell=` line;
 * (b) every script embedded in the synthesized objects of every environment x stack: ConfigMap
 *     keys ending `.sh`, and `sh|bash -c <script>` in the command/args, exec probes and exec
 *     lifecycle hooks of the containers and initContainers of every workload. A ConfigMap script
 *     that a container runs as `sh <file>` must be a POSIX sh script.
 *
 * Findings of every severity count (shellcheck's default, style and up), with no rc file, and
 * nothing is excluded: where shellcheck is wrong, the script says so in a
 * `# shellcheck disable=SCxxxx # <reason>` directive.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ENVIRONMENTS, loadEnvironment } from '../../config';
import { STACKS } from '../../charts';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { includeAssetLines, TemplateLine } from '../../lib/core/asset-template';
import { Doc } from '../support/doc';
import { envConfig, listFiles, podSpecs, synthStack } from '../support/synth';
import { findTool, PROJECT_ROOT } from '../support/tools';

const SHELLCHECK_INSTALL_HINT =
  'Install it with `apt-get install shellcheck` (Debian/Ubuntu; .ci/run does this), or set SHELLCHECK=/path/to/shellcheck.';

type Dialect = 'sh' | 'bash';

/** A script to lint: where it is (object and key, or file) and its text. */
interface Script {
  readonly where: string;
  readonly text: string;
  /** Dialect of the shell that runs it (`sh -c`, `bash -c`, `sh <file>`): wins over its `#!` line, which must not contradict it. */
  readonly runAs?: Dialect;
  /** For an asset composed of files: where each line of `text` is written, to name findings by it. */
  readonly lines?: readonly TemplateLine[];
}

/** One shellcheck comment. */
interface Finding {
  readonly where: string;
  readonly line: number;
  readonly column: number;
  readonly level: string;
  readonly code: number;
  readonly message: string;
}

let shellcheckBin: string;
beforeAll(() => {
  shellcheckBin = findTool('shellcheck', SHELLCHECK_INSTALL_HINT);
});

/** The dialect a script declares: `#!/bin/sh`, `#!/usr/bin/env bash`... or `# shellcheck shell=sh`. */
function declaredDialect(text: string): Dialect | undefined {
  const shebang = /^#!\s*(?:\/usr\/bin\/env\s+)?(?:\S*\/)?(sh|bash|dash|ash)\b/.exec(text);
  const directive = /^# shellcheck shell=(sh|bash|dash|ash)\b/m.exec(text);
  const name = shebang?.[1] ?? directive?.[1];
  return name === undefined ? undefined : name === 'bash' ? 'bash' : 'sh';
}

/** Runs shellcheck on a script in a dialect; returns its findings. */
function shellcheck(script: Script, dialect: Dialect): Finding[] {
  const r = spawnSync(shellcheckBin, ['--norc', '-s', dialect, '-f', 'json1', '-'], { input: script.text, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`shellcheck exited ${r.status} on ${script.where}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { comments: Array<{ line: number; column: number; level: string; code: number; message: string }> };
  return out.comments.map((c) => ({
    where: script.lines?.[c.line - 1]?.source ?? script.where,
    line: script.lines?.[c.line - 1]?.line ?? c.line,
    column: c.column,
    level: c.level,
    code: c.code,
    message: c.message,
  }));
}

/** Every finding of a script, including a missing or contradicting dialect. */
function check(script: Script): Finding[] {
  const declared = declaredDialect(script.text);
  const problem = (message: string): Finding => ({ where: script.where, line: 1, column: 1, level: 'error', code: 0, message });
  if (script.runAs === 'sh' && declared === 'bash')
    return [
      problem("it is a bash script ('#!' names bash) but a container runs it as 'sh <file>'; expected a POSIX sh script or 'bash <file>'"),
    ];
  const dialect = script.runAs ?? declared;
  if (dialect === undefined)
    return [problem("no '#!' line or '# shellcheck shell=' directive naming sh or bash; expected one, so the dialect is known")];
  return shellcheck(script, dialect);
}

const format = (f: Finding): string => `${f.where}:${f.line}:${f.column}: ${f.level} SC${f.code}: ${f.message}`;

// --- extraction -----------------------------------------------------------------------------

const SHELLS: Readonly<Record<string, Dialect>> = { sh: 'sh', ash: 'sh', dash: 'sh', bash: 'bash' };

/** `sh -c <script>` / `bash -ec <script>`... in an argv: the script and its dialect. */
function inlineScript(argv: readonly string[]): { dialect: Dialect; text: string } | undefined {
  const dialect = SHELLS[path.posix.basename(argv[0] ?? '')];
  const flag = argv.findIndex((a, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(a));
  if (!dialect || flag < 0 || argv[flag + 1] === undefined) return undefined;
  return { dialect, text: argv[flag + 1] };
}

/** The ConfigMap key a container path comes from, through the pod's configMap volumes. */
function configMapSource(spec: IPodSpec, container: IContainer, file: string): { configMap: string; key: string } | undefined {
  for (const m of container.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.name === m.name);
    if (!volume?.configMap?.name) continue;
    const inside = m.subPath
      ? file === m.mountPath
        ? m.subPath
        : undefined
      : file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`)
        ? file.slice(m.mountPath.replace(/\/$/, '').length + 1)
        : undefined;
    if (inside === undefined) continue;
    const item = (volume.configMap.items ?? []).find((i) => i.path === inside);
    return { configMap: volume.configMap.name, key: item ? item.key : inside };
  }
  return undefined;
}

/** Every shell script embedded in a list of synthesized objects, named `<prefix> <Kind>/<name> ...`. */
function embeddedScripts(objects: readonly Doc[], prefix: string): Script[] {
  const scripts: Script[] = [];
  const runAsSh = new Set<string>();
  for (const { owner, spec } of podSpecs(objects)) {
    for (const kind of ['initContainers', 'containers'] as const) {
      for (const c of spec[kind] ?? []) {
        const at = `${prefix} ${owner} ${kind === 'containers' ? 'container' : 'initContainer'} ${c.name}`;
        const argv = [...(c.command ?? []), ...(c.args ?? [])];
        const inline = inlineScript(argv);
        if (inline) scripts.push({ where: `${at} command`, text: inline.text, runAs: inline.dialect });
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
          const s = c[probe]?.exec ? inlineScript(c[probe].exec.command) : undefined;
          if (s) scripts.push({ where: `${at} ${probe}`, text: s.text, runAs: s.dialect });
        }
        for (const hook of ['postStart', 'preStop'] as const) {
          const s = c.lifecycle?.[hook]?.exec ? inlineScript(c.lifecycle[hook].exec.command) : undefined;
          if (s) scripts.push({ where: `${at} lifecycle.${hook}`, text: s.text, runAs: s.dialect });
        }
        // `sh /etc/x/start.sh`: the file must be sh even if it came from a ConfigMap.
        if (SHELLS[path.posix.basename(argv[0] ?? '')] === 'sh' && argv[1]?.startsWith('/')) {
          const source = configMapSource(spec, c, argv[1]);
          if (source) runAsSh.add(`${source.configMap}/${source.key}`);
        }
      }
    }
  }
  for (const o of objects) {
    if (o.kind !== 'ConfigMap') continue;
    for (const [key, text] of Object.entries<string>(o.data ?? {})) {
      if (!key.endsWith('.sh')) continue;
      const id = `${o.metadata.name}/${key}`;
      // Inline scripts carry the dialect of the shell that runs them; ConfigMap files their '#!' line, unless run as 'sh <file>'.
      scripts.push({ where: `${prefix} ConfigMap/${id}`, text, ...(runAsSh.has(id) ? { runAs: 'sh' as const } : {}) });
    }
  }
  return scripts;
}

// --- the checks -----------------------------------------------------------------------------

/** An asset file as written, with its includes resolved (placeholders unfilled). */
function assetScript(root: string, file: string): Script {
  const lines = includeAssetLines(root, file);
  return { where: file, text: `${lines.map((l) => l.text).join('\n')}\n`, lines };
}

/** Every shell asset in lib/. */
const assetScripts: Script[] = listFiles(path.join(PROJECT_ROOT, 'lib'))
  .filter((f) => f.endsWith('.sh'))
  .map((f) => assetScript(PROJECT_ROOT, `lib/${f}`));

const synthesized: Script[] = Object.keys(ENVIRONMENTS).flatMap((env) =>
  STACKS.flatMap((stack) =>
    embeddedScripts(synthStack(stack.name, loadEnvironment(envConfig(env as 'dev' | 'prod'), env)), `${env}/${stack.name}`),
  ),
);

const allFindings = new Map<string, Finding[]>();
const findingsOf = (script: Script): Finding[] => {
  let found = allFindings.get(script.where);
  if (!found) allFindings.set(script.where, (found = check(script)));
  return found;
};

describe('(a) shell asset files in lib/ pass shellcheck', () => {
  test('there are asset scripts to lint (the redis start and postgres init scripts, the backup scripts and their fragments at least)', () => {
    expect(assetScripts.map((s) => s.where)).toEqual(
      expect.arrayContaining([
        'lib/constructs/data/assets/redis-start.sh',
        'lib/constructs/data/assets/postgres-init.sh',
        'lib/constructs/backup/assets/redis-dump.sh',
        'lib/constructs/backup/assets/include/common.sh',
      ]),
    );
  });

  test('a backup script is linted with its includes, a fragment on its own, in the dialect it declares', () => {
    const byWhere = new Map(assetScripts.map((s) => [s.where, s]));
    const dump = byWhere.get('lib/constructs/backup/assets/postgres-dump.sh');
    expect(dump?.text).toContain('\nlog() {'); // from include/common.sh
    expect(dump?.text).toContain('\ncheck_sql_gz() {'); // from include/postgres.sh
    expect(dump?.text).toContain('"$BACKUP_DIR/@latest_name_file@"'); // placeholders as written
    expect(dump?.text).not.toMatch(/^# (@include|shellcheck) /m);
    const common = byWhere.get('lib/constructs/backup/assets/include/common.sh');
    expect(common && declaredDialect(common.text)).toBe('sh');
  });

  test.each(assetScripts.map((s) => [s.where, s] as const))('%s', (_where, script) => {
    expect(findingsOf(script).map(format)).toEqual([]);
  });
});

describe('(b) shell scripts embedded in the synthesized objects pass shellcheck', () => {
  test('every environment x stack has embedded scripts, from ConfigMaps and from exec commands', () => {
    for (const env of Object.keys(ENVIRONMENTS)) {
      for (const stack of STACKS)
        expect([env, stack.name, synthesized.some((s) => s.where.startsWith(`${env}/${stack.name} ConfigMap/`))]).toEqual([
          env,
          stack.name,
          true,
        ]);
    }
    expect(
      synthesized.some((s) =>
        / (container|initContainer) \S+ (readinessProbe|livenessProbe|startupProbe|command|lifecycle\.\w+)$/.test(s.where),
      ),
    ).toBe(true);
  });

  test('a ConfigMap script a container runs as `sh <file>` is checked as sh: the redis start script', () => {
    const start = synthesized.filter((s) => s.where.endsWith(' ConfigMap/redis-config/start.sh'));
    expect(start.map((s) => [s.where, s.runAs])).toEqual(start.map((s) => [s.where, 'sh']));
    expect(start.length).toBeGreaterThan(0);
  });

  test.each(synthesized.map((s) => [s.where, s] as const))('%s', (_where, script) => {
    expect(findingsOf(script).map(format)).toEqual([]);
  });
});

describe('the check fires', () => {
  const BAD_SH = '#!/bin/sh\nset -eu\nfor f in $(ls $DIR); do\n  [[ -n $f ]] && rm $DIR/$f\ndone\n';

  test('on a deliberately bad script, naming where, line and code', () => {
    const messages = check({ where: 'test/bad.sh', text: BAD_SH }).map(format);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^test\/bad\.sh:3:\d+: \w+ SC2045: /), // iterating over ls output
        expect.stringMatching(/^test\/bad\.sh:3:\d+: info SC2086: /), // unquoted $DIR
        expect.stringMatching(/^test\/bad\.sh:4:\d+: \w+ SC3010: /), // [[ ]] is not POSIX sh
      ]),
    );
  });

  test('in the dialect the script declares: [[ ]] is fine in bash, an error in sh', () => {
    const test = '[[ -n "${1:-}" ]] && echo "$1"\n';
    expect(check({ where: 'b', text: `#!/usr/bin/env bash\n${test}` })).toEqual([]);
    expect(check({ where: 's', text: `#!/bin/sh\n${test}` }).map((f) => f.code)).toContain(3010);
    expect(check({ where: 'd', text: `# shellcheck shell=sh\n${test}` }).map((f) => f.code)).toContain(3010);
  });

  test('in an asset with includes, named by the file and line the finding is written on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shellcheck-includes-'));
    try {
      fs.writeFileSync(path.join(dir, 'main.sh'), '#!/bin/sh\nset -eu\n# @include frag.sh\nrm $DIR/@name@\n');
      fs.writeFileSync(path.join(dir, 'frag.sh'), '# shellcheck shell=sh\n# a fragment\n[[ -n "${1:-}" ]] || exit 1\n');
      const messages = check(assetScript(dir, 'main.sh')).map(format);
      expect(messages).toEqual([
        expect.stringMatching(/frag\.sh:3:\d+: \w+ SC3010: /), // [[ ]] in the sh fragment, at its own line
        expect.stringMatching(/main\.sh:4:\d+: info SC2086: /), // after the include: the script's own line number
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a script without a dialect, or a bash script run as sh, is a finding', () => {
    expect(check({ where: 'x.sh', text: 'echo hi\n' }).map(format)).toEqual([expect.stringMatching(/^x\.sh:1:1: error SC0: no '#!' line/)]);
    expect(check({ where: 'y.sh', text: '#!/bin/bash\necho hi\n', runAs: 'sh' }).map(format)).toEqual([
      expect.stringMatching(/bash script .* runs it as 'sh <file>'/),
    ]);
  });

  test('in synthesized objects: ConfigMap .sh keys, sh -c commands, exec probes and hooks, named by object and key', () => {
    const objects = [
      {
        kind: 'ConfigMap',
        metadata: { name: 'scripts' },
        data: { 'run.sh': BAD_SH, 'bash.sh': '#!/bin/bash\necho ok\n', 'notes.txt': 'rm $x' },
      },
      {
        kind: 'CronJob',
        metadata: { name: 'job' },
        spec: {
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  volumes: [{ name: 'scripts', configMap: { name: 'scripts' } }],
                  initContainers: [{ name: 'init', command: ['/bin/bash', '-ec'], args: ['echo $1'] }],
                  containers: [
                    {
                      name: 'main',
                      command: ['sh', '/scripts/bash.sh'],
                      volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }],
                      readinessProbe: { exec: { command: ['sh', '-c', 'test -f $F'] } },
                      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
                    },
                  ],
                },
              },
            },
          },
        },
      },
      {
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'app', args: ['--port', '8080'], lifecycle: { postStart: { exec: { command: ['bash', '-c', 'cd $D'] } } } },
              ],
            },
          },
        },
      },
    ];
    const scripts = embeddedScripts(objects, 'dev/x');
    expect(scripts.map((s) => s.where).sort()).toEqual([
      'dev/x ConfigMap/scripts/bash.sh',
      'dev/x ConfigMap/scripts/run.sh',
      'dev/x CronJob/job container main readinessProbe',
      'dev/x CronJob/job initContainer init command',
      'dev/x Deployment/web container app lifecycle.postStart',
    ]);
    const failing = scripts.flatMap(check).map(format);
    expect(failing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dev\/x ConfigMap\/scripts\/run\.sh:4:\d+: \w+ SC3010: /),
        expect.stringMatching(/^dev\/x ConfigMap\/scripts\/bash\.sh:1:1: error SC0: it is a bash script/),
        expect.stringMatching(/^dev\/x CronJob\/job initContainer init command:1:\d+: info SC2086: /),
        expect.stringMatching(/^dev\/x CronJob\/job container main readinessProbe:1:\d+: info SC2086: /),
        expect.stringMatching(/^dev\/x Deployment\/web container app lifecycle.postStart:1:\d+: \w+ SC2164: /),
      ]),
    );
  });
});
