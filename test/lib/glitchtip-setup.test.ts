/**
 * The GlitchTip setup script (lib/constructs/observability/assets/glitchtip-setup.py) run for real by
 * python3 against in-memory stand-ins of GlitchTip's models (test/fixtures/glitchtip/fake_models.py):
 * what it creates on an empty database, that a second run changes nothing, that it stops on the
 * conflicts it must not resolve itself and then leaves the database as it was.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorTrackerSetupScript } from '../../lib/constructs/observability/error-tracker';
import { Doc } from '../support/doc';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glitchtip-setup-'));
const script = path.join(dir, 'glitchtip-setup.py');
fs.writeFileSync(script, errorTrackerSetupScript());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function scenario(name: string): Doc {
  const out = execFileSync('python3', [path.join(__dirname, '../fixtures/glitchtip/fake_models.py'), script, name], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  }).toString();
  expect(out).not.toContain('not-printed'); // the admin password of the fixture never reaches the output
  return JSON.parse(out);
}

const KEY_BACKEND = '0123456789abcdef0123456789abcdef';
const KEY_GATEWAY = 'fedcba9876543210fedcba9876543210';

test('an empty database: the organization, its owner, projects backend=1 and gateway=2 with their keys; a second run changes nothing', () => {
  const r = scenario('fresh-then-again');
  expect(r.first.ok).toBe(true);
  expect(r.after_first).toEqual({
    organizations: ['shop'],
    projects: [
      [1, 'backend', 'shop'],
      [2, 'gateway', 'shop'],
    ],
    keys: [
      ['backend', KEY_BACKEND, true],
      ['gateway', KEY_GATEWAY, true],
    ],
    users: [['admin@shop.example', true]],
    members: [['admin@shop.example', 'owner']],
    verified: [['admin@shop.example', true]],
    next_project_id: 3,
  });
  expect(r.second).toEqual({ ok: true, log: ['GlitchTip setup done: organization shop, projects backend=1, gateway=2'] });
  expect(r.after_second).toEqual(r.after_first);
  // The sequence was moved past the fixed ids: a project made later in the UI gets a new id.
  expect(r.next_ui_project).toBe(3);
});

test('a project id held by another project: stops naming both, and rolls everything back', () => {
  const r = scenario('id-taken');
  expect(r.run).toMatchObject({
    ok: false,
    error: "project id 1 belongs to project 'legacy' of organization 1; expected it free for project 'backend'",
  });
  expect(r.after).toMatchObject({ organizations: ['other'], projects: [[1, 'legacy', 'other']], users: [], keys: [] });
});

test("a key that is another project's key: stops, and rolls everything back", () => {
  const r = scenario('key-of-another-project');
  expect(r.run).toMatchObject({
    ok: false,
    error: "the DSN key of project 'gateway' is already a key of project id 7; expected a key of its own",
  });
  expect(r.after.projects).toEqual([[7, 'legacy', 'other']]);
});

test('a rotated key Secret adds the new key beside the old one (removed in the UI when no app uses it)', () => {
  const r = scenario('rotated-key');
  expect(r.run.ok).toBe(true);
  expect(r.after.keys).toEqual([
    ['backend', KEY_BACKEND, true],
    ['gateway', KEY_GATEWAY, true],
    ['gateway', '11111111111111111111111111111111', true],
  ]);
});

test('bad input fails before anything is written, naming the variable and what it expects', () => {
  const r = scenario('bad-input');
  expect(r.projects.error).toBe("GLITCHTIP_PROJECTS: got 'backend:1,backend:2'; expected each project slug once");
  expect(r.key.error).toBe('GLITCHTIP_PROJECT_KEY_BACKEND: malformed; expected 32 hexadecimal digits (a UUID without dashes)');
  expect(r.missing.error).toBe('GLITCHTIP_ADMIN_EMAIL is missing; expected a non-empty value');
  expect(r.after.projects).toEqual([]);
});
