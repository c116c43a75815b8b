export * from './alert-rules';
export * from './alert-rule-group';
export * from './grafana-dashboard';
export * from './kubernetes-rules';
export * from './kubernetes-panels';
export * from './mongodb-rules';
export * from './mongodb-panels';
export { promString } from './validation';
export * from './alert-routing';
