import { ENVIRONMENTS } from '../../config';
import { STACKS } from '../../charts';
import { PlatformChart } from '../../charts/platform';
import { renderObjects } from '../../lib/output/argocd';
import { findLocalCa, ingressUrls, resolvesToLoopback, trustCaInstructions } from '../../lib/delivery';

describe('hosts that resolve to 127.0.0.1 without /etc/hosts', () => {
  test.each(['api.shop.localtest.me', 'localtest.me', 'localhost', 'app.localhost', 'shop.127.0.0.1.nip.io', 'shop.127-0-0-1.sslip.io'])(
    '%s',
    (h) => {
      expect(resolvesToLoopback(h)).toBe(true);
    },
  );
  test.each(['api.shop.example', 'shop.local', 'localtest.me.evil.com', 'shop.10.0.0.1.nip.io'])('not %s', (h) => {
    expect(resolvesToLoopback(h)).toBe(false);
  });

  test('every Ingress host of the kind environment (config/dev.ts) resolves to 127.0.0.1', () => {
    const env = ENVIRONMENTS.dev;
    const urls = ingressUrls(STACKS.flatMap((s) => renderObjects(s, env)));
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => !u.resolvesToLoopback)).toEqual([]);
    expect(urls.every((u) => u.url.startsWith('https://'))).toBe(true);
  });
});

describe('ingressUrls', () => {
  test('one entry per host, https when TLS covers it, with paths and Ingresses', () => {
    const ing = (name: string, host: string, paths: string[], tls: boolean) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'crm' },
      spec: { ...(tls ? { tls: [{ hosts: [host] }] } : {}), rules: [{ host, http: { paths: paths.map((path) => ({ path })) } }] },
    });
    expect(
      ingressUrls([
        ing('edge', 'crm.localtest.me', ['/'], true),
        ing('edge-api', 'crm.localtest.me', ['/api'], false),
        ing('plain', 'plain.example.com', ['/'], false),
      ]),
    ).toEqual([
      {
        host: 'crm.localtest.me',
        url: 'https://crm.localtest.me/',
        paths: ['/', '/api'],
        ingresses: ['crm/edge', 'crm/edge-api'],
        resolvesToLoopback: true,
      },
      { host: 'plain.example.com', url: 'http://plain.example.com/', paths: ['/'], ingresses: ['crm/plain'], resolvesToLoopback: false },
    ]);
  });
});

describe('local CA', () => {
  test('is found in the dev platform manifests, and the trust instructions export it from its Secret', () => {
    const objects = renderObjects(
      { name: 'platform', create: (scope, id, env: typeof ENVIRONMENTS.dev) => new PlatformChart(scope, id, { env }) },
      ENVIRONMENTS.dev,
    );
    const ca = findLocalCa(objects)!;
    expect(ca).toEqual({
      namespace: 'cert-manager',
      secretName: `${ENVIRONMENTS.dev.tls.clusterIssuer}-root`,
      certificate: `${ENVIRONMENTS.dev.tls.clusterIssuer}-root`,
    });
    const text = trustCaInstructions(ca, 'kind-backends-dev', 'https://api.example.localtest.me/').join('\n');
    expect(text).toContain(
      `kubectl --context kind-backends-dev -n cert-manager get secret ${ca.secretName} -o jsonpath='{.data.ca\\.crt}' | base64 -d > local-ca.crt`,
    );
    for (const os of ['security add-trusted-cert', 'update-ca-certificates', 'update-ca-trust', 'certutil -addstore -f ROOT', 'Firefox'])
      expect(text).toContain(os);
  });

  test("prod (Let's Encrypt) has no local CA", () => {
    const objects = renderObjects(
      { name: 'platform', create: (scope, id, env: typeof ENVIRONMENTS.prod) => new PlatformChart(scope, id, { env }) },
      ENVIRONMENTS.prod,
    );
    expect(findLocalCa(objects)).toBeUndefined();
  });
});
