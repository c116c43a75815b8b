import { defineStack, StackRuleIssue, stackValues } from '../../lib/config/stack-module';
import { heapBytes } from '../../lib/constructs/search/elasticsearch-cluster';
import { memoryBytes } from '../../lib/core/formats';
import { EcommerceChart } from './chart';
import { dev } from './dev';
import { prod } from './prod';
import { EcommerceConfig, ecommerceSchema } from './schema';

export { EcommerceChart } from './chart';
export type { EcommerceConfig, EcommerceConfigInput } from './schema';
export { ecommerceSchema } from './schema';

/** Rules across fields of the block (the platform-wide ones are commonStackRules). */
function ecommerceRules(c: EcommerceConfig, platform: { readonly profile: string }): StackRuleIssue[] {
  const issues: StackRuleIssue[] = [];
  const store = c.objectStore;
  if (store.provider === 'in-cluster' && !store.server)
    issues.push({
      path: 'objectStore.server',
      value: undefined,
      expected: "the in-cluster server's image, sizes and console setting with provider 'in-cluster'",
    });
  if (store.provider === 's3' && store.server)
    issues.push({
      path: 'objectStore.server',
      value: '{...}',
      expected: "nothing with provider 's3' (Amazon S3 runs no server in the cluster)",
    });
  if (store.server?.console.enabled && !c.tools)
    issues.push({
      path: 'tools',
      value: undefined,
      expected: 'a host and allowedCidrs for the tools ingress the console is reached through',
    });
  const tracking = c.errorTracking;
  if (tracking.mode === 'in-cluster' && !tracking.server)
    issues.push({
      path: 'errorTracking.server',
      value: undefined,
      expected: "the GlitchTip server's image, URL, sizes and stores with mode 'in-cluster'",
    });
  if (tracking.mode !== 'in-cluster' && tracking.server)
    issues.push({
      path: 'errorTracking.server',
      value: '{...}',
      expected: `nothing with mode '${tracking.mode}' (only mode 'in-cluster' runs a server)`,
    });
  if (c.kibana.ingress.enabled && !c.kibana.ingress.host)
    issues.push({ path: 'kibana.ingress.host', value: undefined, expected: 'the host Kibana is reached on with kibana.ingress.enabled' });
  if (c.kibana.ingress.enabled && !c.tools)
    issues.push({ path: 'tools', value: undefined, expected: "allowedCidrs for Kibana's ingress (kibana.ingress.enabled)" });
  const search = c.search;
  if (heapBytes(search.heap) > memoryBytes(search.resources.memoryLimit) / 2)
    issues.push({
      path: 'search.heap',
      value: search.heap,
      expected: `at most half of search.resources.memoryLimit (${search.resources.memoryLimit}): Elasticsearch needs the rest for the filesystem cache and off-heap memory`,
    });
  if (search.nodes > 1 && !search.tls)
    issues.push({
      path: 'search.tls',
      value: false,
      expected: `true with ${search.nodes} nodes (Elasticsearch requires transport TLS with security on and several nodes)`,
    });
  if (platform.profile === 'prod' && !search.tls)
    issues.push({ path: 'search.tls', value: false, expected: 'true in a prod profile (seed 003: encrypted connections in production)' });
  if (platform.profile === 'prod' && !c.mongodb.tls)
    issues.push({ path: 'mongodb.tls', value: false, expected: 'true in a prod profile (seed 003: encrypted connections in production)' });
  return issues;
}

/** The ecommerce stack: schema, values per environment, chart. Registered in charts/stacks.ts. */
export const stack = defineStack({
  name: 'ecommerce',
  description:
    'E-commerce platform: gateway, backend, MongoDB replica set, object storage, backups, monitoring, Elasticsearch and Kibana for logs',
  schema: ecommerceSchema,
  environments: { dev: stackValues(__dirname, 'dev.ts', dev), prod: stackValues(__dirname, 'prod.ts', prod) },
  profileFacts: (c) => ({
    devTools: {
      ...(c.objectStore.server ? { 'objectStore.server.console': c.objectStore.server.console } : {}),
      'kibana.ingress': c.kibana.ingress,
    },
    apps: { gateway: c.gateway, backend: c.backend },
    // Backups go where the object store is: the in-cluster server in dev, Amazon S3 in prod.
    backupTarget: c.objectStore.provider === 's3' ? 's3' : 'object-store',
    backupKmsKeyId: c.backups.kmsKeyId,
    aws: c.aws,
  }),
  rules: ecommerceRules,
  create: (scope, id, props) => new EcommerceChart(scope, id, props),
  notes: [
    'E-commerce platform {{ .Values.environment }} is deployed to namespace ecommerce.',
    '',
    'Gateway:    https://{{ .Values.ingress.host }}/health (the only public service; /api goes to the backend)',
    'Secrets:    generated in-cluster (dev) or read from AWS Secrets Manager (prod); none are in this chart.',
    'Kibana:     kubectl -n ecommerce port-forward svc/kibana 5601:5601, then http://localhost:5601 (user elastic; on kind also https://kibana.ecommerce.localtest.me/)',
    'Backups:    kubectl -n ecommerce get cronjobs',
    'Restore:    kubectl -n ecommerce create job --from=cronjob/mongodb-restore mongodb-restore-$(date +%s)',
    'Errors:     with errorTracking.mode in-cluster: kubectl -n ecommerce port-forward svc/glitchtip-web 8000, then http://localhost:8000',
    '',
  ].join('\n'),
});
