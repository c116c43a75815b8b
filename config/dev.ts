import { PlatformConfigInput } from '../lib/config/platform-schema';

/**
 * dev: a local kind cluster. Local CA, generated secrets, no alert receivers. Each stack's block
 * for this environment is `charts/<stack>/dev.ts`.
 */
export const dev: PlatformConfigInput = {
  name: 'dev',
  profile: 'dev',
  cluster: { kind: 'kind', name: 'backends-dev' },
  ingress: { className: 'traefik', controllerNamespace: 'traefik', controllerPodLabels: { 'app.kubernetes.io/name': 'traefik' } },
  tls: { clusterIssuer: 'local-ca', issuer: 'local-ca' },
  storage: {},
  monitoring: {
    release: 'kube-prometheus-stack',
    namespace: 'monitoring',
    prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    // seed 003: 7 days in development.
    retention: '7d',
    // No receivers on kind: alerts are visible in Alertmanager's UI (kubectl -n monitoring port-forward svc/kube-prometheus-stack-alertmanager 9093).
    alerting: {},
  },
  secrets: { provider: 'generated' },
  // Argo CD syncs dist/argocd/dev from here: set repoUrl to your clone of this repository.
  gitops: { repoUrl: 'https://github.com/backends-on-k8s/backends-on-k8s.git', targetRevision: 'main' },
  spreadAcrossZones: false,
};
