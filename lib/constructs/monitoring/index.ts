export * from './alert-rules';
export * from './alert-rule-group';
export * from './grafana-dashboard';
export * from './kubernetes-rules';
export { promString } from './validation';
export * from './alert-routing';
