import { PlatformConfigInput } from '../lib/config/platform-schema';

/**
 * prod: EKS. Zone spread, gp3, Let's Encrypt, AWS Secrets Manager, alert receivers. Each stack's
 * block for this environment is `charts/<stack>/prod.ts`.
 */
export const prod: PlatformConfigInput = {
  name: 'prod',
  profile: 'prod',
  // vpcCidr: set to your cluster VPC's CIDR (`aws ec2 describe-vpcs`). 10.0.0.0/16 is the block the
  // AWS console's VPC wizard proposes, chosen as the example; Traefik trusts proxy protocol and
  // X-Forwarded-* headers only from this range (the NLB's addresses in the VPC's subnets).
  cluster: {
    kind: 'eks',
    name: 'backends-prod',
    vpcCidr: '10.0.0.0/16',
    // EKS places the control plane's network interfaces in the cluster's subnets: the VPC, port 443.
    apiServer: { cidrs: ['10.0.0.0/16'], port: 443 },
    // One managed node group per zone of m6i.xlarge (4 vCPU / 16 GiB, the shape of the 3-node
    // cluster the prod output was first placed on). Allocatable as the EKS AMI reserves it:
    // CPU 4000m - 80m kube-reserved; memory ~15.3Gi reported - 893Mi kube-reserved (255Mi + 11Mi
    // x 58 max pods) - 100Mi eviction threshold, rounded down to 14Gi. maxPerZone 4 (12 nodes):
    // every HPA at maxReplicas plus the platform takes 8 nodes, 9 with one drained (npm run check
    // prints the numbers), and a zone's worth more because zone spread packs each zone on its own,
    // less tightly than the check's cluster-wide first fit. The node groups' maxSize must allow it.
    nodes: {
      zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      minPerZone: 1,
      maxPerZone: 4,
      instanceType: 'm6i.xlarge',
      capacity: { cpu: '4', memory: '16Gi' },
      allocatable: { cpu: '3920m', memory: '14Gi' },
    },
    // Cluster Autoscaler's IRSA role (same account and naming as the stacks' roles).
    autoscaler: { roleArn: 'arn:aws:iam::123456789012:role/cluster-autoscaler-prod' },
  },
  ingress: { className: 'traefik', controllerNamespace: 'traefik', controllerPodLabels: { 'app.kubernetes.io/name': 'traefik' } },
  tls: { clusterIssuer: 'letsencrypt-prod', issuer: 'letsencrypt', acmeEmail: 'platform@wondernest.example' },
  storage: { gp3StorageClass: 'gp3-encrypted' },
  monitoring: {
    release: 'kube-prometheus-stack',
    namespace: 'monitoring',
    prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    // seed 003: 30 days in production (capped by size below the 50Gi volume, see config/platform-charts.ts).
    retention: '30d',
    // Webhook URLs: <stack prefix>/alertmanager-receivers in AWS Secrets Manager (WARNING_/CRITICAL_SLACK_WEBHOOK_URL).
    alerting: { warning: { slack: { channel: '#backend-alerts' } }, critical: { slack: { channel: '#backend-oncall' } } },
    // Grafana admin password: prod/monitoring/grafana-admin (property admin_password) in AWS Secrets Manager,
    // read with this IRSA role (same account and naming as the stacks' secrets roles).
    aws: { secretsRoleArn: 'arn:aws:iam::123456789012:role/monitoring-prod-secrets', secretsKeyPrefix: 'prod/monitoring' },
  },
  // One ClusterSecretStore per stack, usable only from its namespace, reading with the stack's IRSA role.
  secrets: { provider: 'aws-secrets-manager', awsRegion: 'eu-west-1', storeScope: 'cluster' },
  // Argo CD syncs dist/argocd/prod from here: set repoUrl to your clone of this repository.
  gitops: { repoUrl: 'https://github.com/backends-on-k8s/backends-on-k8s.git', targetRevision: 'main' },
  spreadAcrossZones: true,
};
