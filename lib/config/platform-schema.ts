import { z } from 'zod';
import { GIT_REPO_URL_EXPECTED, GIT_REVISION_EXPECTED, isGitRepoUrl, isGitRevision } from '../output/argocd/gitops-config';
import { cpuMillis, memoryBytes } from '../core/formats';
import * as f from './fields';

/**
 * The platform settings of one environment (`config/<env>.ts`): cluster, ingress, TLS, storage,
 * monitoring, secrets, GitOps. Stacks read them; each stack's own block has its own schema in
 * `charts/<stack>/`.
 */

const podLabels = (): z.ZodRecord<z.ZodString, z.ZodString> => f.record(f.labelKey(), f.labelValue());

/** Where Argo CD reads this repository from (`gitops`). */
export const gitopsSchema = f.object({
  /** Git URL of this repository: https or ssh, never with credentials. */
  repoUrl: z.string({ error: GIT_REPO_URL_EXPECTED }).refine(isGitRepoUrl, { error: GIT_REPO_URL_EXPECTED }),
  /** Branch, tag or commit SHA Argo CD follows. */
  targetRevision: z.string({ error: GIT_REVISION_EXPECTED }).refine(isGitRevision, { error: GIT_REVISION_EXPECTED }),
  /** Namespace Argo CD runs in. @default 'argocd' */
  argocdNamespace: f.dnsLabel().optional(),
});

/**
 * Where one severity of alerts goes (exactly one kind). Credentials are never in config: the
 * stack's Secret `alertmanager-receivers` holds them (keys `<SEVERITY>_SLACK_WEBHOOK_URL`,
 * `<SEVERITY>_WEBHOOK_URL`, `<SEVERITY>_SMTP_PASSWORD`), read from AWS Secrets Manager.
 */
export const alertReceiverSchema = f
  .object({
    slack: f.object({ channel: f.pattern(/^[#@][^\s]+$/, "a Slack channel such as '#alerts' or '@oncall'") }).optional(),
    webhook: f.object({}).optional(),
    email: f
      .object({
        to: f.email(),
        from: f.email(),
        smarthost: f.pattern(/^[A-Za-z0-9.-]+:\d{1,5}$/, "host:port of the SMTP relay, e.g. 'smtp.example.com:587'"),
        /** SMTP user; its password is `<SEVERITY>_SMTP_PASSWORD` in the receivers Secret. @default - no authentication */
        authUsername: z.string().optional(),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    const kinds = (['slack', 'webhook', 'email'] as const).filter((k) => r[k] !== undefined);
    if (kinds.length !== 1)
      ctx.addIssue({ code: 'custom', message: 'exactly one of slack, webhook, email', input: kinds.length ? kinds.join('+') : '{}' });
  });

export type AlertReceiverConfig = z.output<typeof alertReceiverSchema>;

/**
 * The worker nodes of a cluster (`cluster.nodes`): one node group per zone, all of one instance
 * type. The `disruption` and `capacity` checks place every pod on this shape (a drain of any one
 * node, and every HPA at maxReplicas); on EKS the Cluster Autoscaler scales each zone's group
 * between `minPerZone` and `maxPerZone`, and the node groups (eksctl, Terraform) must allow that
 * range (their own maxSize >= maxPerZone).
 */
export const nodesSchema = f
  .object({
    /** Zones the nodes are in (`topology.kubernetes.io/zone`), one node group each. */
    zones: f.list(f.dnsLabel(), { minItems: 1, unique: true }),
    /** Nodes per zone when nothing is scaled up (the node groups' minSize). */
    minPerZone: f.int({ min: 1 }),
    /** Nodes per zone at most: the autoscaler's limit; equal to minPerZone without one. */
    maxPerZone: f.int({ min: 1 }),
    /** Instance type (documentation, and the node groups' type). */
    instanceType: f.pattern(/^[a-z0-9-]+(\.[a-z0-9]+)?$/, "an instance type such as 'm6i.xlarge'"),
    /** A node's capacity (what the autoscaler's cluster-wide limits count). */
    capacity: f.object({ cpu: f.cpu(), memory: f.memory() }),
    /** A node's allocatable resources (capacity minus what the kubelet and the system reserve): what pods' requests fill. */
    allocatable: f.object({ cpu: f.cpu(), memory: f.memory() }),
  })
  .superRefine((n, ctx) => {
    if (n.maxPerZone >= 1 && n.maxPerZone < n.minPerZone)
      ctx.addIssue({ code: 'custom', path: ['maxPerZone'], input: n.maxPerZone, message: `an integer >= minPerZone (${n.minPerZone})` });
    for (const r of ['cpu', 'memory'] as const) {
      const [a, c] =
        r === 'cpu'
          ? [cpuMillis(n.allocatable.cpu), cpuMillis(n.capacity.cpu)]
          : [memoryBytes(n.allocatable.memory), memoryBytes(n.capacity.memory)];
      if (a > c)
        ctx.addIssue({
          code: 'custom',
          path: ['allocatable', r],
          input: n.allocatable[r],
          message: `at most capacity.${r} (${n.capacity[r]})`,
        });
    }
  });

/** The node autoscaler of an EKS cluster (`cluster.autoscaler`): Cluster Autoscaler with its IRSA role. */
export const autoscalerSchema = f.object({
  /**
   * IRSA role of the Cluster Autoscaler's ServiceAccount (`kube-system/cluster-autoscaler`): the
   * Auto Scaling permissions of the autoscaler's documented policy (README "Node autoscaling").
   */
  roleArn: f.iamRoleArn(),
});

export const platformSchema = f
  .object({
    name: f.dnsLabel(),
    /** dev = kind on a laptop, prod = EKS. Decides which tools and images are allowed. */
    profile: f.oneOf(['dev', 'prod']),
    cluster: f.object({
      kind: f.oneOf(['kind', 'eks']),
      /** Expected cluster (kube context) name, checked by the deploy tooling. */
      name: f.dnsLabel(),
      /**
       * EKS: the IPv4 CIDR of the cluster's VPC (the block the load balancer's subnets are in).
       * Traefik trusts exactly this range for the NLB's proxy protocol header and for
       * `X-Forwarded-*` headers, so it sees each client's own address and nobody outside the VPC
       * can claim another. Required on EKS, unset on kind (no load balancer in front).
       * @default - none (kind)
       */
      vpcCidr: f.vpcCidr().optional(),
      /**
       * Where the Kubernetes API server's endpoints are, for NetworkPolicies of node agents that
       * call it (the log shipper reads pod labels). Policies apply after the `kubernetes` Service's
       * address is translated, so these are the endpoints' addresses and port: on kind the
       * control-plane container on kind's Docker network, port 6443; on EKS the control plane's
       * network interfaces in the VPC's subnets, port 443.
       */
      apiServer: f.object({ cidrs: f.list(f.cidr(), { minItems: 1 }), port: f.int({ min: 1, max: 65535 }) }),
      /** The worker nodes. Required on EKS. @default - not declared (kind: the laptop's; capacity is not checked) */
      nodes: nodesSchema.optional(),
      /** Node autoscaling (EKS only; required there). @default - none */
      autoscaler: autoscalerSchema.optional(),
    }),
    ingress: f.object({
      className: f.dnsLabel(),
      controllerNamespace: f.dnsLabel(),
      controllerPodLabels: podLabels(),
    }),
    tls: f.object({
      clusterIssuer: f.dnsLabel(),
      /** `local-ca` (self-signed CA inside the cluster) or `letsencrypt` (ACME HTTP-01). */
      issuer: f.oneOf(['local-ca', 'letsencrypt']),
      acmeEmail: f.email().optional(),
      acmeServer: f.url().optional(),
    }),
    storage: f.object({
      /** Render an encrypted gp3 StorageClass (EBS CSI) with this name. @default - use an existing class */
      gp3StorageClass: f.dnsLabel().optional(),
    }),
    monitoring: f.object({
      /** `release` label kube-prometheus-stack selects ServiceMonitors and rules by. */
      release: f.dnsLabel(),
      namespace: f.dnsLabel(),
      prometheusPodLabels: podLabels(),
      /** How long Prometheus keeps samples, e.g. `7d` (a Prometheus duration). */
      retention: f.pattern(/^[1-9][0-9]*(h|d|w|y)$/, "a Prometheus retention such as '7d' or '30d' (a whole number of h, d, w or y)"),
      /**
       * Alert routing of every stack (an AlertmanagerConfig per namespace): receivers per severity.
       * Without receivers alerts stay visible in Alertmanager's UI only. Critical defaults to warning's receiver.
       */
      alerting: f.object({ warning: alertReceiverSchema.optional(), critical: alertReceiverSchema.optional() }),
      /**
       * Secrets of the monitoring namespace (the Grafana admin login, Secret `grafana-admin`) when
       * secrets.provider is aws-secrets-manager: the IRSA role reading `<secretsKeyPrefix>/*` and
       * that prefix. The password is `<secretsKeyPrefix>/grafana-admin`, property `admin_password`.
       * @default - required with aws-secrets-manager; unused with generated secrets
       */
      aws: f
        .object({
          secretsRoleArn: f.iamRoleArn(),
          secretsKeyPrefix: f.pattern(/^[A-Za-z0-9/_+=.@-]+$/, "a Secrets Manager name prefix such as 'prod/monitoring'"),
        })
        .optional(),
    }),
    secrets: f.object({
      provider: f.oneOf(['generated', 'aws-secrets-manager']),
      awsRegion: f.awsRegion().optional(),
      /**
       * aws-secrets-manager: a SecretStore per stack namespace, or a ClusterSecretStore per stack
       * (usable only from that namespace, same IRSA role). @default 'namespace'
       */
      storeScope: f.oneOf(['namespace', 'cluster']).optional(),
    }),
    /** Spread replicas across availability zones. */
    spreadAcrossZones: f.boolean(),
    /** Where Argo CD reads this repository from (dist/argocd/<env>/). */
    gitops: gitopsSchema,
  })
  .superRefine((env, ctx) => {
    const issue = (path: string[], input: unknown, message: string): void => ctx.addIssue({ code: 'custom', path, input, message });
    if (env.profile === 'prod' && env.secrets.provider !== 'aws-secrets-manager') {
      issue(['secrets', 'provider'], env.secrets.provider, "'aws-secrets-manager' in a prod profile (generated secrets are for dev)");
    }
    if (env.secrets.storeScope !== undefined && env.secrets.provider !== 'aws-secrets-manager') {
      issue(['secrets', 'storeScope'], env.secrets.storeScope, "unset unless secrets.provider is 'aws-secrets-manager'");
    }
    if (env.secrets.provider === 'aws-secrets-manager' && !env.monitoring.aws) {
      issue(
        ['monitoring', 'aws'],
        undefined,
        'secretsRoleArn and secretsKeyPrefix of the monitoring namespace when secrets.provider is aws-secrets-manager (the Grafana admin password is read from there)',
      );
    }
    if (env.secrets.provider !== 'aws-secrets-manager' && env.monitoring.aws) {
      issue(['monitoring', 'aws'], env.monitoring.aws, "unset unless secrets.provider is 'aws-secrets-manager'");
    }
    if (env.secrets.provider === 'aws-secrets-manager' && !env.secrets.awsRegion) {
      issue(['secrets', 'awsRegion'], undefined, 'an AWS region when secrets.provider is aws-secrets-manager');
    }
    if (env.tls.issuer === 'letsencrypt' && !env.tls.acmeEmail) {
      issue(['tls', 'acmeEmail'], undefined, 'an e-mail address for the ACME account when tls.issuer is letsencrypt');
    }
    for (const severity of ['warning', 'critical'] as const) {
      if (env.monitoring.alerting[severity] && env.secrets.provider !== 'aws-secrets-manager') {
        issue(
          ['monitoring', 'alerting', severity],
          env.monitoring.alerting[severity],
          "no receiver, or secrets.provider 'aws-secrets-manager' (receiver URLs and passwords are read from AWS Secrets Manager, never generated)",
        );
      }
    }
    if (env.cluster.kind === 'eks' && env.cluster.vpcCidr === undefined) {
      issue(
        ['cluster', 'vpcCidr'],
        undefined,
        "the VPC's IPv4 CIDR on EKS, such as '10.0.0.0/16' (Traefik trusts the load balancer's proxy protocol and X-Forwarded-* headers from it)",
      );
    }
    if (env.cluster.kind === 'kind' && env.cluster.vpcCidr !== undefined) {
      issue(
        ['cluster', 'vpcCidr'],
        env.cluster.vpcCidr,
        'unset on kind (no load balancer in front of Traefik; clients connect through the host)',
      );
    }
    if (env.cluster.kind === 'eks' && env.cluster.nodes === undefined) {
      issue(
        ['cluster', 'nodes'],
        undefined,
        'the worker nodes on EKS (zones, minPerZone, maxPerZone, instanceType, capacity, allocatable)',
      );
    }
    if (env.cluster.kind === 'eks' && env.cluster.autoscaler === undefined) {
      issue(['cluster', 'autoscaler'], undefined, "the Cluster Autoscaler's IRSA role on EKS ({ roleArn })");
    }
    if (env.cluster.kind === 'kind' && env.cluster.autoscaler !== undefined) {
      issue(['cluster', 'autoscaler'], env.cluster.autoscaler, 'unset on kind (its nodes are containers; nothing adds nodes)');
    }
    if (env.cluster.nodes && !env.cluster.autoscaler && env.cluster.nodes.maxPerZone !== env.cluster.nodes.minPerZone) {
      issue(
        ['cluster', 'nodes', 'maxPerZone'],
        env.cluster.nodes.maxPerZone,
        `equal to minPerZone (${env.cluster.nodes.minPerZone}) without cluster.autoscaler (nothing adds nodes)`,
      );
    }
    if (env.cluster.kind === 'kind' && env.storage.gp3StorageClass) {
      issue(['storage', 'gp3StorageClass'], env.storage.gp3StorageClass, 'unset on kind (gp3 needs the EBS CSI driver on EKS)');
    }
  });

/** The platform settings of one environment, as the stacks receive them. */
export type PlatformConfig = z.output<typeof platformSchema>;
/** The platform settings as written in `config/<env>.ts`. */
export type PlatformConfigInput = z.input<typeof platformSchema>;
