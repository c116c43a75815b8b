import { PlatformConfigInput } from '../lib/config/platform-schema';

/**
 * dev: a local kind cluster. Local CA, generated secrets, no alert receivers. Each stack's block
 * for this environment is `charts/<stack>/dev.ts`.
 */
export const dev: PlatformConfigInput = {
  name: 'dev',
  profile: 'dev',
  cluster: {
    kind: 'kind',
    name: 'backends-dev',
    // kind's control plane is a container on the `kind` Docker network, whose subnet Docker takes
    // from its default pools (172.17.0.0/16 to 172.31.0.0/16, usually 172.18.0.0/16); port 6443.
    apiServer: { cidrs: ['172.16.0.0/12'], port: 6443 },
  },
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
