import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS } from '../../config';
import { KIND_INGRESS, platformReleasesFor } from '../../config/platform-charts';
import { kindConfigProblems, parseKindConfig } from '../../lib/delivery';
import { Doc } from '../support/doc';

const file = path.resolve(__dirname, '..', '..', 'kind-config.yaml');
const text = fs.readFileSync(file, 'utf8');
const expected = { clusterName: ENVIRONMENTS.dev.cluster.name, ingress: KIND_INGRESS };

describe('kind-config.yaml', () => {
  const config = parseKindConfig(text);

  test('matches config/dev.ts and the pinned Traefik values', () => {
    expect(kindConfigProblems(config, expected)).toEqual([]);
    const traefik = platformReleasesFor(ENVIRONMENTS.dev).find((r) => r.name === 'traefik')!.values as Doc;
    expect(traefik.ports.web.nodePort).toBe(30080);
    expect(traefik.ports.websecure.nodePort).toBe(30443);
  });

  test('one control plane (the ingress node, host ports 80/443 on 127.0.0.1 only) and two workers in two zones', () => {
    expect(config.name).toBe('backends-dev');
    expect(config.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
    expect(config.nodes[0].labels).toEqual({ 'ingress-ready': 'true' });
    expect(config.nodes[0].portMappings).toEqual([
      { containerPort: 30080, hostPort: 80, protocol: 'TCP', listenAddress: '127.0.0.1' },
      { containerPort: 30443, hostPort: 443, protocol: 'TCP', listenAddress: '127.0.0.1' },
    ]);
    expect(config.nodes.slice(1).map((n) => n.labels['topology.kubernetes.io/zone'])).toEqual(['kind-a', 'kind-b']);
  });

  test('problems name the field, the value and what is expected', () => {
    const broken = parseKindConfig(
      text
        .replace('name: backends-dev', 'name: other')
        .replace('containerPort: 30443', 'containerPort: 31443')
        .replace('topology.kubernetes.io/zone: kind-b', 'topology.kubernetes.io/zone: kind-a'),
    );
    expect(kindConfigProblems(broken, expected)).toEqual([
      "kind-config.yaml: name: got 'other'; expected 'backends-dev' (cluster.name of the environment)",
      'kind-config.yaml: extraPortMappings of the ingress-ready=true node: got ["80->30080/TCP","443->31443/TCP"]; expected host port 443 -> containerPort 30443/TCP (the Traefik NodePort)',
      'kind-config.yaml: workers: got 2 in zones ["kind-a"]; expected at least 2 workers labelled topology.kubernetes.io/zone with 2 different zones (PDBs and spreading)',
    ]);
    const unlabelled = parseKindConfig(text.replace(/ingress-ready: (["'])true\1/, 'ingress-ready: "false"'));
    expect(kindConfigProblems(unlabelled, expected)).toEqual([
      'kind-config.yaml: nodes labelled ingress-ready=true: got 0; expected exactly one (the ingress controller is pinned to it)',
    ]);
  });

  test.each([
    [
      'not a kind Cluster',
      'kind: Pod\napiVersion: v1\n',
      /got kind "Pod" apiVersion "v1"; expected kind: Cluster, apiVersion: kind.x-k8s.io\/v1alpha4/,
    ],
    [
      'no name',
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes: [{role: control-plane}]\n',
      /name: got undefined; expected the cluster name/,
    ],
    [
      'a name that is not a DNS label',
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: Backends_Dev\nnodes: [{role: control-plane}]\n',
      /name: got "Backends_Dev"; expected the cluster name, a DNS-1123 label/,
    ],
    ['no nodes', 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: x\n', /nodes: got undefined; expected at least one node/],
    [
      'a bad role',
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: x\nnodes: [{role: master}]\n',
      /nodes\[0\].role: got "master"; expected 'control-plane' or 'worker'/,
    ],
    ['broken YAML', 'kind: [', /kind-config.yaml: not valid YAML/],
  ])('rejects %s', (_, yamlText, message) => {
    expect(() => parseKindConfig(yamlText)).toThrow(message);
  });
});
