import { cpu, imageRepository, memory } from '../../lib/core/formats';
import { validateResources } from '../../lib/constructs/workloads/container';
import { VALUE_SCHEMAS } from '../../lib/constructs/workloads/workload-values';

/** Helm's values.schema.json, the constructs and the config accept the same quantities and repositories. */
describe('workload value schemas follow core/formats', () => {
  const matches = (pattern: string | undefined, v: string) => new RegExp(pattern!).test(v);

  test.each(['256Mi', '1Gi', '512M', '1.5Gi', '2Pi', '3P', '100', '1Ei', '256mi', '-1Gi', 'lots', ''])(
    'memory %j: schema and format agree',
    (v) => {
      expect(matches(VALUE_SCHEMAS.memory.pattern, v)).toBe(memory.test(v));
    },
  );

  test.each(['250m', '1', '1.5', '0.125', '0.1255', '1.5m', '-1', 'm', ''])('cpu %j: schema and format agree', (v) => {
    expect(matches(VALUE_SCHEMAS.cpu.pattern, v)).toBe(cpu.test(v));
  });

  test.each(['ghcr.io/org/app', 'postgres', 'localhost:5000/a/b', 'Org/App', 'repo:tag', 'a//b'])(
    'repository %j: schema and format agree',
    (v) => {
      expect(matches(VALUE_SCHEMAS.repository.pattern, v)).toBe(imageRepository.test(v));
    },
  );

  test('containers take the quantities the schema takes (Pi included), and refuse what it refuses', () => {
    expect(() => validateResources('c.resources', { cpuRequest: '0.125', memoryRequest: '1Gi', memoryLimit: '1Pi' })).not.toThrow();
    expect(() => validateResources('c.resources', { cpuRequest: '0.1255', memoryRequest: '1Gi', memoryLimit: '2Gi' })).toThrow(
      "c.resources.cpuRequest: got \"0.1255\"; expected a Kubernetes CPU quantity such as '250m' or '1'",
    );
    expect(() => validateResources('c.resources', { cpuRequest: '1', memoryRequest: '0', memoryLimit: '2Gi' })).toThrow(
      /memoryRequest: got "0"; expected a Kubernetes memory quantity/,
    );
  });
});
