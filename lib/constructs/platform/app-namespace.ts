import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/** Pod Security Standards level. */
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface AppNamespaceProps {
  readonly name: string;
  /**
   * Level enforced by the Pod Security admission controller. Anything other than
   * `restricted` needs a written reason (node-level agents only).
   * @default 'restricted'
   */
  readonly podSecurity?: PodSecurityLevel;
  /** Why a level weaker than `restricted` is needed. Required for baseline/privileged. */
  readonly podSecurityReason?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A namespace labelled for Pod Security admission (enforce, audit and warn at one level). */
export class AppNamespace extends Construct {
  public readonly name: string;
  public readonly podSecurity: PodSecurityLevel;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    this.name = props.name;
    this.podSecurity = props.podSecurity ?? 'restricted';
    if (this.podSecurity !== 'restricted' && !props.podSecurityReason?.trim()) {
      throw new Error(
        `AppNamespace '${props.name}': podSecurity '${this.podSecurity}' needs podSecurityReason; expected 'restricted' or a written reason for a weaker level`,
      );
    }
    new k8s.KubeNamespace(this, 'Resource', {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          'pod-security.kubernetes.io/enforce': this.podSecurity,
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': this.podSecurity,
          'pod-security.kubernetes.io/warn': this.podSecurity,
        },
        ...(props.podSecurityReason ? { annotations: { 'platform/pod-security-reason': props.podSecurityReason } } : {}),
      },
    });
  }
}
