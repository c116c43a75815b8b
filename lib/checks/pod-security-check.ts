import type { IAppArmorProfile } from 'kubernetes-models/v1/AppArmorProfile';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { ISELinuxOptions } from 'kubernetes-models/v1/SELinuxOptions';
import { containersOf, podTemplates, PodTemplateRef } from './pod-specs';
import { Check, CheckInput, ManifestObject, RuleInfo, Violation } from './types';

/** Annotation a Namespace weaker than `restricted` must carry, saying why (see lib/app-namespace.ts). */
export const POD_SECURITY_REASON_ANNOTATION = 'platform/pod-security-reason';
const ENFORCE = 'pod-security.kubernetes.io/enforce';

export const POD_SECURITY_RULES: readonly RuleInfo[] = [
  {
    id: 'pss/namespace-level',
    family: 'pod-security',
    description: 'every Namespace carries an enforce level; weaker than restricted only with a written reason and a pod that needs it',
  },
  { id: 'pss/host-namespaces', family: 'pod-security', description: 'no hostNetwork, hostPID, hostIPC' },
  { id: 'pss/privileged', family: 'pod-security', description: 'no privileged containers, no Windows hostProcess' },
  { id: 'pss/host-path', family: 'pod-security', description: 'no hostPath volumes' },
  { id: 'pss/host-ports', family: 'pod-security', description: 'no hostPort' },
  { id: 'pss/capabilities', family: 'pod-security', description: 'capabilities drop ALL; add nothing but NET_BIND_SERVICE' },
  {
    id: 'pss/allow-privilege-escalation',
    family: 'pod-security',
    description: 'allowPrivilegeEscalation: false set explicitly on every container',
  },
  { id: 'pss/run-as-non-root', family: 'pod-security', description: 'runAsNonRoot: true (pod or every container), never false' },
  { id: 'pss/run-as-user', family: 'pod-security', description: 'no runAsUser 0' },
  {
    id: 'pss/seccomp',
    family: 'pod-security',
    description: 'seccomp RuntimeDefault or Localhost (pod or every container), never Unconfined',
  },
  {
    id: 'pss/volume-types',
    family: 'pod-security',
    description: 'volumes only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret',
  },
  { id: 'pss/sysctls', family: 'pod-security', description: 'only the safe sysctls' },
  { id: 'pss/proc-mount', family: 'pod-security', description: 'procMount Default' },
  {
    id: 'pss/selinux',
    family: 'pod-security',
    description: 'SELinux type limited to container_t/container_init_t/container_kvm_t/container_engine_t, no user or role',
  },
  { id: 'pss/apparmor', family: 'pod-security', description: 'AppArmor RuntimeDefault or Localhost only' },
];

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
/** Seccomp profile types that confine the container (restricted requires one on the pod or every container). */
const CONFINED_SECCOMP: ReadonlySet<string | undefined> = new Set(['RuntimeDefault', 'Localhost']);
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const SELINUX_TYPES = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const BASELINE_CAPS = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

type Level = 'restricted' | 'baseline' | 'privileged';
interface Finding {
  readonly rule: string;
  readonly field: string;
  readonly message: string;
  readonly level: 'baseline' | 'restricted';
}

/**
 * Pod Security Standards: every pod template is evaluated at the level its Namespace enforces
 * (Namespaces come from the same output; a pod in a namespace the output does not label fails).
 */
export class PodSecurityCheck implements Check {
  public readonly family = 'pod-security' as const;
  public readonly rules = POD_SECURITY_RULES;

  public run(input: CheckInput): Violation[] {
    const out: Violation[] = [];
    const namespaces = new Map<string, ManifestObject>();
    for (const m of input.objects) if (m.object?.kind === 'Namespace') namespaces.set(`${m.env}/${m.object.metadata?.name}`, m);
    const templates = podTemplates(input.objects);
    const needsMore = new Set<string>();

    for (const t of templates) {
      const nsName = t.owner.object.metadata?.namespace;
      const ns = namespaces.get(`${t.owner.env}/${nsName}`);
      const findings = evaluate(t);
      if (findings.some((f) => f.level === 'restricted' || f.level === 'baseline')) needsMore.add(`${t.owner.env}/${nsName}`);
      if (!ns) {
        out.push({
          rule: 'pss/namespace-level',
          object: t.owner,
          field: 'metadata.namespace',
          message: `pod template in namespace ${JSON.stringify(nsName)}, which this output does not create with a Pod Security label; expected the stack to own a Namespace labelled ${ENFORCE}: restricted`,
        });
        continue;
      }
      const level = levelOf(ns);
      for (const f of findings) {
        if (level === 'privileged') continue;
        if (level === 'baseline' && f.level === 'restricted') continue;
        out.push({ rule: f.rule, object: t.owner, field: f.field, message: `${f.message} (namespace ${nsName} enforces '${level}')` });
      }
    }

    for (const [key, ns] of namespaces) {
      const labels = ns.object.metadata?.labels ?? {};
      const level = labels[ENFORCE];
      if (!['restricted', 'baseline', 'privileged'].includes(level)) {
        out.push({
          rule: 'pss/namespace-level',
          object: ns,
          field: `metadata.labels["${ENFORCE}"]`,
          message: `got ${JSON.stringify(level)}; expected 'restricted' (or 'baseline'/'privileged' for node-level agents, with a reason)`,
        });
        continue;
      }
      if (level === 'restricted') continue;
      const reason = ns.object.metadata?.annotations?.[POD_SECURITY_REASON_ANNOTATION];
      if (typeof reason !== 'string' || !reason.trim()) {
        out.push({
          rule: 'pss/namespace-level',
          object: ns,
          field: `metadata.annotations["${POD_SECURITY_REASON_ANNOTATION}"]`,
          message: `namespace is labelled '${level}' without a reason; expected 'restricted', or the annotation ${POD_SECURITY_REASON_ANNOTATION} explaining which node-level agent needs it`,
        });
      }
      if (!needsMore.has(key)) {
        out.push({
          rule: 'pss/namespace-level',
          object: ns,
          field: `metadata.labels["${ENFORCE}"]`,
          message: `namespace is labelled '${level}' but none of its pods needs more than 'restricted'; expected 'restricted'`,
        });
      }
    }
    return out;
  }
}

function levelOf(ns: ManifestObject): Level {
  const l = ns.object.metadata?.labels?.[ENFORCE];
  return l === 'baseline' || l === 'privileged' ? l : 'restricted';
}

/** Every Pod Security Standards finding of a pod template, tagged with the level that forbids it. */
export function evaluate(t: PodTemplateRef): Finding[] {
  const s = t.spec;
  const p = t.path;
  const out: Finding[] = [];
  const add = (level: Finding['level'], rule: string, field: string, message: string) => out.push({ level, rule, field, message });
  const psc: IPodSecurityContext = s.securityContext ?? {};

  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (s[f] === true) add('baseline', 'pss/host-namespaces', `${p}.${f}`, `got ${f}: true; expected unset or false`);
  }
  if (psc.windowsOptions?.hostProcess === true)
    add('baseline', 'pss/privileged', `${p}.securityContext.windowsOptions.hostProcess`, 'got true; expected unset or false');
  for (const [i, v] of (s.volumes ?? []).entries()) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (v.hostPath)
      add('baseline', 'pss/host-path', `${p}.volumes[${i}]`, `volume '${v.name}' is a hostPath; expected no hostPath volumes`);
    else if (type && !RESTRICTED_VOLUMES.includes(type))
      add(
        'restricted',
        'pss/volume-types',
        `${p}.volumes[${i}]`,
        `volume '${v.name}' has type ${type}; expected one of ${RESTRICTED_VOLUMES.join(', ')}`,
      );
  }
  for (const [i, sc] of (psc.sysctls ?? []).entries()) {
    if (!SAFE_SYSCTLS.has(sc.name))
      add(
        'baseline',
        'pss/sysctls',
        `${p}.securityContext.sysctls[${i}]`,
        `got sysctl '${sc.name}'; expected only safe sysctls (${[...SAFE_SYSCTLS].join(', ')})`,
      );
  }
  seLinux(psc.seLinuxOptions, `${p}.securityContext.seLinuxOptions`, add);
  appArmor(psc.appArmorProfile, `${p}.securityContext.appArmorProfile`, add);
  if (psc.seccompProfile?.type === 'Unconfined')
    add('baseline', 'pss/seccomp', `${p}.securityContext.seccompProfile.type`, "got 'Unconfined'; expected RuntimeDefault or Localhost");
  if (psc.runAsUser === 0) add('restricted', 'pss/run-as-user', `${p}.securityContext.runAsUser`, 'got 0; expected a non-zero uid');
  if (psc.runAsNonRoot === false) add('restricted', 'pss/run-as-non-root', `${p}.securityContext.runAsNonRoot`, 'got false; expected true');
  const podSeccomp = CONFINED_SECCOMP.has(psc.seccompProfile?.type);
  const podNonRoot = psc.runAsNonRoot === true;

  for (const { container: c, path } of containersOf(t)) {
    const sc: ISecurityContext = c.securityContext ?? {};
    const name = `container '${c.name}'`;
    if (sc.privileged === true)
      add('baseline', 'pss/privileged', `${path}.securityContext.privileged`, `${name}: got privileged: true; expected false`);
    if (sc.windowsOptions?.hostProcess === true)
      add('baseline', 'pss/privileged', `${path}.securityContext.windowsOptions.hostProcess`, `${name}: got true; expected unset or false`);
    for (const [j, port] of (c.ports ?? []).entries()) {
      if (port.hostPort)
        add('baseline', 'pss/host-ports', `${path}.ports[${j}].hostPort`, `${name}: got hostPort ${port.hostPort}; expected none`);
    }
    const addCaps = sc.capabilities?.add ?? [];
    for (const cap of addCaps) {
      if (!BASELINE_CAPS.has(cap))
        add(
          'baseline',
          'pss/capabilities',
          `${path}.securityContext.capabilities.add`,
          `${name}: adds ${cap}; expected none beyond NET_BIND_SERVICE`,
        );
      else if (cap !== 'NET_BIND_SERVICE')
        add(
          'restricted',
          'pss/capabilities',
          `${path}.securityContext.capabilities.add`,
          `${name}: adds ${cap}; expected only NET_BIND_SERVICE`,
        );
    }
    if (!(sc.capabilities?.drop ?? []).includes('ALL'))
      add(
        'restricted',
        'pss/capabilities',
        `${path}.securityContext.capabilities.drop`,
        `${name}: got drop ${JSON.stringify(sc.capabilities?.drop ?? [])}; expected ["ALL"]`,
      );
    if (sc.procMount !== undefined && sc.procMount !== 'Default')
      add('baseline', 'pss/proc-mount', `${path}.securityContext.procMount`, `${name}: got '${sc.procMount}'; expected Default`);
    seLinux(sc.seLinuxOptions, `${path}.securityContext.seLinuxOptions`, add);
    appArmor(sc.appArmorProfile, `${path}.securityContext.appArmorProfile`, add);
    if (sc.seccompProfile?.type === 'Unconfined')
      add(
        'baseline',
        'pss/seccomp',
        `${path}.securityContext.seccompProfile.type`,
        `${name}: got 'Unconfined'; expected RuntimeDefault or Localhost`,
      );
    if (!podSeccomp && !CONFINED_SECCOMP.has(sc.seccompProfile?.type))
      add(
        'restricted',
        'pss/seccomp',
        `${path}.securityContext.seccompProfile`,
        `${name}: no seccomp profile on the pod or the container; expected type RuntimeDefault or Localhost`,
      );
    if (sc.allowPrivilegeEscalation !== false)
      add(
        'restricted',
        'pss/allow-privilege-escalation',
        `${path}.securityContext.allowPrivilegeEscalation`,
        `${name}: got ${JSON.stringify(sc.allowPrivilegeEscalation)}; expected false, set explicitly`,
      );
    if (sc.runAsNonRoot === false || (!podNonRoot && sc.runAsNonRoot !== true))
      add(
        'restricted',
        'pss/run-as-non-root',
        `${path}.securityContext.runAsNonRoot`,
        `${name}: got ${JSON.stringify(sc.runAsNonRoot)} (pod: ${JSON.stringify(psc.runAsNonRoot)}); expected true`,
      );
    if (sc.runAsUser === 0)
      add('restricted', 'pss/run-as-user', `${path}.securityContext.runAsUser`, `${name}: got 0; expected a non-zero uid`);
  }
  const metaPath = p.replace(/\.spec$|^spec$/, (m) => (m === 'spec' ? 'metadata' : '.metadata'));
  for (const [k, v] of Object.entries(t.annotations)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !String(v).startsWith('localhost/')) {
      add('baseline', 'pss/apparmor', `${metaPath}.annotations["${k}"]`, `got '${v}'; expected runtime/default or localhost/*`);
    }
  }
  return out;
}

type AddFinding = (level: Finding['level'], rule: string, field: string, message: string) => void;

function seLinux(o: ISELinuxOptions | undefined, path: string, add: AddFinding): void {
  if (!o) return;
  if (o.type !== undefined && o.type !== '' && !SELINUX_TYPES.includes(o.type))
    add('baseline', 'pss/selinux', `${path}.type`, `got '${o.type}'; expected one of ${SELINUX_TYPES.join(', ')}`);
  for (const f of ['user', 'role'] as const) if (o[f]) add('baseline', 'pss/selinux', `${path}.${f}`, `got '${o[f]}'; expected unset`);
}

function appArmor(o: IAppArmorProfile | undefined, path: string, add: AddFinding): void {
  if (o && !['RuntimeDefault', 'Localhost'].includes(o.type))
    add('baseline', 'pss/apparmor', `${path}.type`, `got '${o.type}'; expected RuntimeDefault or Localhost`);
}
