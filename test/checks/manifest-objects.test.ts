/*
 * <outdir>/manifest-objects.json: the objects synth wrote, which the checks use instead of parsing the
 * YAML again while a file's text is unchanged. They must be exactly the parsed YAML, and an edited file
 * must be parsed (and checked) as it is now.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadManifests, runChecks } from '../../lib/checks';
import { loadManifestObjects, MANIFEST_OBJECTS_FILE, parseManifestFile } from '../../lib/checks/load';
import { synthesizeAll } from '../../main';
import { listFiles } from '../support/synth';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-objects-'));
synthesizeAll(outdir, { recordMetadata: true });
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('manifest-objects.json', () => {
  test('records every manifest file (not the Helm templates), each with exactly the objects its YAML parses to', () => {
    const recorded = loadManifestObjects(outdir)!.files;
    const manifests = listFiles(outdir).filter((f) => f.endsWith('.yaml') && !f.startsWith('helm/'));
    expect(Object.keys(recorded).sort()).toEqual(manifests);
    for (const f of manifests) expect([f, recorded[f].objects]).toEqual([f, parseManifestFile(path.join(outdir, f))]);
  });

  test('is used only while the file is unchanged: an edited manifest is parsed again and its new object checked', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-objects-edit-'));
    try {
      fs.cpSync(outdir, copy, { recursive: true });
      const file = listFiles(copy).find((f) => f.startsWith('dev/') && f.endsWith('.k8s.yaml'))!;
      fs.appendFileSync(path.join(copy, file), '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: default\n');
      const objects = loadManifests(copy);
      expect(objects.filter((m) => m.file === file).map((m) => m.object.metadata?.name)).toContain('Bad_Name');
      const violations = runChecks({ objects, environments: {} }, ['schema']).violations;
      expect(violations.map((v) => `${v.rule} ${v.object?.object.metadata?.name}`)).toContain('schema/name Bad_Name');
      // without the file, the same objects come from parsing every manifest
      fs.rmSync(path.join(copy, MANIFEST_OBJECTS_FILE));
      expect(loadManifests(copy)).toEqual(objects);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
