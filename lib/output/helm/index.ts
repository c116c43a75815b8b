/**
 * Helm chart output for cdk8s stacks.
 *
 * - {@link HelmValues}: constructs declare which fields of their ApiObjects are Helm values.
 * - {@link writeHelmChart}: writes one parameterized chart per stack from its per-environment syntheses.
 * - {@link findHelm}: locates the helm binary (`npm run helm:install`).
 */
export * from './helm-values';
export * from './helm-chart-writer';
export * from './helm-binary';
export * from './json-pointer';
export * from './value-template';
