/**
 * A manifest, chart values or config document as tests read and edit it. cdk8s' Testing.synth,
 * YAML.parse and JSON.parse all return `any`; tests walk deep kind-specific paths and break
 * fixtures on purpose (the checks must catch shapes no schema allows), so such documents stay
 * untyped, and this is the one place that says so. The same goes for props a test passes wrong
 * on purpose (`{ ...props, storeScope: 'global' } as Doc`) to see them refused. Tests use
 * kubernetes-models or the project's own types wherever they build or read a known, valid shape.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one opt-out for test documents, see above
export type Doc = any;
