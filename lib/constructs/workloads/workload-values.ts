import { ApiObject } from 'cdk8s';
import { cpu, imageRepository, memory } from '../../core/formats';
import { escapePointerToken, HelmValues, HelmValueSchema } from '../../output/helm';

/**
 * Helm value bindings shared by the workload constructs, so every stack's chart
 * exposes the same value shapes (`<prefix>.image.repository`, `<prefix>.resources.memoryLimit`, ...).
 */

export const VALUE_SCHEMAS = {
  repository: { type: 'string', pattern: imageRepository.pattern, description: 'Image repository' },
  tag: {
    type: 'string',
    pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
    forbidden: ['latest'],
    description: 'Image tag (pinned version, never latest)',
  },
  cpu: { type: 'string', pattern: cpu.pattern, description: "CPU quantity such as '250m' or '1'" },
  memory: { type: 'string', pattern: memory.pattern, description: "Memory quantity such as '256Mi'" },
  replicas: { type: 'integer', minimum: 0, description: 'Replica count' },
  positiveInt: { type: 'integer', minimum: 1, description: 'Positive integer' },
  percent: { type: 'integer', minimum: 1, maximum: 100, description: 'Target utilization in percent' },
  hostname: {
    type: 'string',
    pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$',
    description: 'DNS host name',
  },
  dnsName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', description: 'DNS-1123 name' },
  cron: { type: 'string', pattern: '^(\\S+\\s+){4}\\S+$', description: 'Five-field cron schedule' },
} satisfies Record<string, HelmValueSchema>;

/** Binds `repository:tag` of the image at `pointer` to `<prefix>.image.{repository,tag}`. */
export function bindImage(obj: ApiObject, pointer: string, prefix: string): void {
  HelmValues.of(obj).bindTemplate(obj, pointer, '{repository}:{tag}', {
    repository: { path: `${prefix}.image.repository`, schema: VALUE_SCHEMAS.repository },
    tag: { path: `${prefix}.image.tag`, schema: VALUE_SCHEMAS.tag },
  });
}

/** Binds requests/limits of the container at `containerPointer` to `<prefix>.resources.*`. */
export function bindResources(obj: ApiObject, containerPointer: string, prefix: string, hasCpuLimit: boolean): void {
  const helm = HelmValues.of(obj);
  helm.bind(obj, `${containerPointer}/resources/requests/cpu`, `${prefix}.resources.cpuRequest`, VALUE_SCHEMAS.cpu);
  helm.bind(obj, `${containerPointer}/resources/requests/memory`, `${prefix}.resources.memoryRequest`, VALUE_SCHEMAS.memory);
  helm.bind(obj, `${containerPointer}/resources/limits/memory`, `${prefix}.resources.memoryLimit`, VALUE_SCHEMAS.memory);
  if (hasCpuLimit) helm.bind(obj, `${containerPointer}/resources/limits/cpu`, `${prefix}.resources.cpuLimit`, VALUE_SCHEMAS.cpu);
}

/** Escapes a key for use inside a JSON pointer. */
export const pointerKey = escapePointerToken;

/** Turns a resource name into a Helm value key: `postgres-backup` -> `postgresBackup`. */
export function valueKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
