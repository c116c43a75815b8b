import { PodSecurityCheck } from '../../lib/checks/pod-security-check';
import { Doc } from '../support/doc';
import { goodDeployment, manifests, mutate, namespace, rulesOf } from './helpers';

const check = new PodSecurityCheck();
const run = (...objects: Doc[]) => check.run({ objects: manifests(objects), environments: {} });
/** Edits the pod spec and first container of a good Deployment. */
type PodEdit = (spec: Doc, container: Doc) => void;
const withPod = (edit: PodEdit) => mutate(goodDeployment(), (d) => edit(d.spec.template.spec, d.spec.template.spec.containers[0]));

describe('pod security check (restricted)', () => {
  test('a restricted pod in a restricted namespace passes', () => {
    expect(run(namespace(), goodDeployment())).toEqual([]);
  });

  test.each<[string, string, PodEdit]>([
    [
      'pss/host-namespaces',
      'spec.template.spec.hostNetwork',
      (s) => {
        s.hostNetwork = true;
      },
    ],
    [
      'pss/host-namespaces',
      'spec.template.spec.hostPID',
      (s) => {
        s.hostPID = true;
      },
    ],
    [
      'pss/host-namespaces',
      'spec.template.spec.hostIPC',
      (s) => {
        s.hostIPC = true;
      },
    ],
    [
      'pss/privileged',
      'spec.template.spec.containers[0].securityContext.privileged',
      (_, c) => {
        c.securityContext.privileged = true;
      },
    ],
    [
      'pss/host-path',
      'spec.template.spec.volumes[0]',
      (s) => {
        s.volumes = [{ name: 'root', hostPath: { path: '/' } }];
      },
    ],
    [
      'pss/host-ports',
      'spec.template.spec.containers[0].ports[0].hostPort',
      (_, c) => {
        c.ports[0].hostPort = 8080;
      },
    ],
    [
      'pss/capabilities',
      'spec.template.spec.containers[0].securityContext.capabilities.add',
      (_, c) => {
        c.securityContext.capabilities.add = ['SYS_ADMIN'];
      },
    ],
    [
      'pss/capabilities',
      'spec.template.spec.containers[0].securityContext.capabilities.add',
      (_, c) => {
        c.securityContext.capabilities.add = ['CHOWN'];
      },
    ],
    [
      'pss/capabilities',
      'spec.template.spec.containers[0].securityContext.capabilities.drop',
      (_, c) => {
        c.securityContext.capabilities.drop = ['NET_RAW'];
      },
    ],
    [
      'pss/allow-privilege-escalation',
      'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
      (_, c) => {
        delete c.securityContext.allowPrivilegeEscalation;
      },
    ],
    [
      'pss/allow-privilege-escalation',
      'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
      (_, c) => {
        c.securityContext.allowPrivilegeEscalation = true;
      },
    ],
    [
      'pss/run-as-non-root',
      'spec.template.spec.containers[0].securityContext.runAsNonRoot',
      (s) => {
        delete s.securityContext.runAsNonRoot;
      },
    ],
    [
      'pss/run-as-non-root',
      'spec.template.spec.securityContext.runAsNonRoot',
      (s) => {
        s.securityContext.runAsNonRoot = false;
      },
    ],
    [
      'pss/run-as-user',
      'spec.template.spec.containers[0].securityContext.runAsUser',
      (_, c) => {
        c.securityContext.runAsUser = 0;
      },
    ],
    [
      'pss/seccomp',
      'spec.template.spec.containers[0].securityContext.seccompProfile',
      (s) => {
        delete s.securityContext.seccompProfile;
      },
    ],
    [
      'pss/seccomp',
      'spec.template.spec.containers[0].securityContext.seccompProfile.type',
      (_, c) => {
        c.securityContext.seccompProfile = { type: 'Unconfined' };
      },
    ],
    [
      'pss/volume-types',
      'spec.template.spec.volumes[0]',
      (s) => {
        s.volumes = [{ name: 'share', nfs: { server: 'nas', path: '/x' } }];
      },
    ],
    [
      'pss/sysctls',
      'spec.template.spec.securityContext.sysctls[0]',
      (s) => {
        s.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }];
      },
    ],
    [
      'pss/proc-mount',
      'spec.template.spec.containers[0].securityContext.procMount',
      (_, c) => {
        c.securityContext.procMount = 'Unmasked';
      },
    ],
    [
      'pss/selinux',
      'spec.template.spec.securityContext.seLinuxOptions.user',
      (s) => {
        s.securityContext.seLinuxOptions = { user: 'system_u' };
      },
    ],
    [
      'pss/apparmor',
      'spec.template.spec.containers[0].securityContext.appArmorProfile.type',
      (_, c) => {
        c.securityContext.appArmorProfile = { type: 'Unconfined' };
      },
    ],
    [
      'pss/privileged',
      'spec.template.spec.securityContext.windowsOptions.hostProcess',
      (s) => {
        s.securityContext.windowsOptions = { hostProcess: true };
      },
    ],
  ])('%s fires at %s', (rule, field, edit) => {
    const v = run(namespace(), withPod(edit));
    expect(v).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule, field, message: expect.stringContaining("namespace shop enforces 'restricted'") }),
      ]),
    );
  });

  test('init containers and CronJob pod templates are checked too', () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: 'shop' },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: {
          spec: {
            template: { spec: { restartPolicy: 'Never', initContainers: [{ name: 'prep', image: 'busybox:1.36' }], containers: [] } },
          },
        },
      },
    };
    const v = run(namespace(), job);
    expect(v.map((x) => x.field)).toEqual(
      expect.arrayContaining(['spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation']),
    );
  });

  test('a pod-level seccomp profile and runAsNonRoot cover every container', () => {
    const v = run(
      namespace(),
      withPod((_s, c) => {
        delete c.securityContext.seccompProfile;
        delete c.securityContext.runAsNonRoot;
      }),
    );
    expect(v).toEqual([]);
  });

  test('pods in a namespace the output does not label fail', () => {
    expect(run(goodDeployment())).toEqual([expect.objectContaining({ rule: 'pss/namespace-level', field: 'metadata.namespace' })]);
  });

  test('a Namespace without an enforce label fails', () => {
    const ns = mutate(namespace(), (n) => {
      delete n.metadata.labels['pod-security.kubernetes.io/enforce'];
    });
    expect(rulesOf(run(ns))).toEqual(['pss/namespace-level']);
  });

  test('a weaker level needs a written reason and a pod that needs it', () => {
    const v = run(namespace('shop', 'baseline'), goodDeployment());
    expect(v.map((x) => x.message)).toEqual([
      expect.stringContaining('without a reason'),
      expect.stringContaining("none of its pods needs more than 'restricted'"),
    ]);
  });

  test('a node agent namespace labelled privileged with a reason passes', () => {
    const agent = mutate(goodDeployment({ name: 'node-agent', namespace: 'agents' }), (d) => {
      d.kind = 'DaemonSet';
      delete d.spec.replicas;
      d.spec.template.spec.hostNetwork = true;
      d.spec.template.spec.volumes = [{ name: 'proc', hostPath: { path: '/proc' } }];
    });
    expect(
      run(namespace('agents', 'privileged', { 'platform/pod-security-reason': 'node exporter reads /proc of the host' }), agent),
    ).toEqual([]);
  });

  test('baseline namespaces still refuse what baseline forbids, but allow what only restricted forbids', () => {
    const ns = namespace('agents', 'baseline', { 'platform/pod-security-reason': 'log shipper runs as root' });
    const rootButFine = mutate(goodDeployment({ namespace: 'agents' }), (d) => {
      d.spec.template.spec.securityContext.runAsNonRoot = false;
    });
    expect(run(ns, rootButFine)).toEqual([]);
    const hostNet = mutate(rootButFine, (d) => {
      d.spec.template.spec.hostNetwork = true;
    });
    expect(rulesOf(run(ns, hostNet))).toEqual(['pss/host-namespaces']);
  });
});
