import {
  BoundExpression,
  DerivedValue,
  derivedSegments,
  mergeEnvironments,
  MergeContext,
  OptionalElement,
  OptionalEntry,
  valueIdentifier,
} from '../../lib/output/helm/environment-merge';

/** A context recording what the merge derives and extends. */
function context(envs = ['dev', 'prod']) {
  const derived: Array<{ path: string; perEnv: Record<string, unknown>; pointer: string }> = [];
  const extended: Array<[string, string, unknown]> = [];
  const ctx: MergeContext = {
    envs,
    base: ['api', 'deployment'],
    describe: "Deployment 'api' (s/api/deployment)",
    derive: (segments, perEnv, pointer) => {
      const path = derivedSegments(['api', 'deployment'], segments).join('.');
      derived.push({ path, perEnv: Object.fromEntries(perEnv), pointer });
      return path;
    },
    extendBinding: (env, valuePath, _schema, value) => extended.push([env, valuePath, value]),
  };
  return { ctx, derived, extended };
}

describe('mergeEnvironments', () => {
  test('equal objects stay literal; a differing scalar becomes one derived value', () => {
    const { ctx, derived } = context();
    const tree = mergeEnvironments(
      [
        { a: 1, b: { c: 'x' } },
        { a: 1, b: { c: 'y' } },
      ],
      ctx,
    );
    expect(tree).toEqual({ a: 1, b: { c: new DerivedValue('api.deployment.b.c') } });
    expect(derived).toEqual([{ path: 'api.deployment.b.c', perEnv: { dev: 'x', prod: 'y' }, pointer: '/b/c' }]);
  });

  test('pod-template prefixes are shortened and keys made identifiers', () => {
    expect(derivedSegments(['api', 'deployment'], ['spec', 'template', 'spec', 'securityContext'])).toEqual([
      'api',
      'deployment',
      'pod',
      'securityContext',
    ]);
    expect(derivedSegments(['b'], ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'annotations', 'checksum/config'])).toEqual([
      'b',
      'podMetadata',
      'annotations',
      'checksumConfig',
    ]);
    expect(valueIdentifier('10-init-database.sh')).toBe('v10InitDatabaseSh');
    expect(valueIdentifier('AWS_ENDPOINT_URL')).toBe('AWS_ENDPOINT_URL');
    expect(valueIdentifier('eks.amazonaws.com/role-arn')).toBe('eksAmazonawsComRoleArn');
  });

  test('named lists merge by name: common elements recurse, the others are optional elements (null where absent)', () => {
    const { ctx, derived } = context();
    const dev = [
      { name: 'A', value: '1' },
      { name: 'B', value: 'dev' },
    ];
    const prod = [{ name: 'A', value: '1' }];
    expect(mergeEnvironments([{ env: dev }, { env: prod }], ctx)).toEqual({
      env: [{ name: 'A', value: '1' }, new OptionalElement('api.deployment.env.B')],
    });
    expect(derived[0].perEnv).toEqual({ dev: { name: 'B', value: 'dev' }, prod: null });
  });

  test('named lists in contradicting orders are one value', () => {
    const { ctx } = context();
    const tree = mergeEnvironments([{ env: [{ name: 'A' }, { name: 'B' }] }, { env: [{ name: 'B' }, { name: 'A', x: 1 }] }], ctx);
    expect(tree).toEqual({ env: new DerivedValue('api.deployment.env') });
  });

  test('a key of some environments is an optional entry', () => {
    const { ctx } = context();
    expect(mergeEnvironments([{ a: 1, note: 'x' }, { a: 1 }], ctx)).toEqual({ a: 1, note: new OptionalEntry('api.deployment.note') });
  });

  test('a field bound in one environment and plain in another joins the binding', () => {
    const { ctx, extended } = context();
    const bound = new BoundExpression('{{ .Values.api.replicas | toJson }}', {
      valuePath: 'api.replicas',
      schema: { type: 'integer', description: 'n' },
    });
    expect(mergeEnvironments([{ replicas: bound }, { replicas: 3 }], ctx)).toEqual({ replicas: bound });
    expect(extended).toEqual([['prod', 'api.replicas', 3]]);
  });

  test('a bound field absent in one environment is optional, its value null there', () => {
    const { ctx, extended } = context();
    const bound = new BoundExpression('{{ .Values.api.cpuLimit | toJson }}', {
      valuePath: 'api.cpuLimit',
      schema: { type: 'string', description: 'c' },
    });
    expect(mergeEnvironments([{ limits: { cpu: bound, memory: '1Gi' } }, { limits: { memory: '1Gi' } }], ctx)).toEqual({
      limits: { memory: '1Gi', cpu: new OptionalEntry('api.cpuLimit') },
    });
    expect(extended).toEqual([['prod', 'api.cpuLimit', null]]);
  });

  test('an unnamed list of another length around a binding is refused', () => {
    const { ctx } = context();
    const bound = new BoundExpression('{{ .Values.x | toJson }}');
    expect(() => mergeEnvironments([{ args: [bound] }, { args: [bound, '--tls'] }], ctx)).toThrow(
      /field '\/args' of Deployment 'api' \(s\/api\/deployment\) differs in shape between environments 'dev', 'prod' and holds a Helm value binding/,
    );
  });
});
