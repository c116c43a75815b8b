/**
 * Local delivery to a kind cluster (`npm run kind:up` / `kind:down`, scripts/kind-*.js): tool
 * discovery, the kind configuration check, apply ordering by sync wave, the idempotent bootstrap
 * and how to reach the result. The logic runs commands through an injected {@link CommandRunner},
 * so it is tested without Docker.
 */
import { parseManifestFile } from '../checks/load';
import { ManifestFile } from './manifest-plan';

export * from './command-runner';
export * from './kind-args';
export * from './kind-config';
export * from './kind-down';
export * from './kind-up';
export * from './local-access';
export * from './manifest-plan';
export * from './tools';

/**
 * Reads a synthesized manifest file (`dist/<env>/<name>.k8s.yaml`).
 * @param label name used in messages (a stack name or `platform`)
 * @param shownPath path shown in messages
 */
export function readManifestFile(label: string, file: string, shownPath = file): ManifestFile {
  return { name: label, path: shownPath, objects: parseManifestFile(file) };
}
