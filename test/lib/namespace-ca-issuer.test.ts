import { Testing } from 'cdk8s';
import { NamespaceCaIssuer } from '../../lib/constructs/platform/namespace-ca-issuer';
import { Doc } from '../support/doc';

describe('NamespaceCaIssuer', () => {
  test('a self-signed bootstrap Issuer, a CA certificate and the CA Issuer, all in the namespace', () => {
    const chart = Testing.chart();
    const ca = new NamespaceCaIssuer(chart, 'ca', { namespace: 'shop' });
    const out: Doc[] = Testing.synth(chart);
    expect(out).toMatchSnapshot();
    expect(out.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Issuer/shop/internal-ca-bootstrap',
      'Certificate/shop/internal-ca-root',
      'Issuer/shop/internal-ca',
    ]);
    expect(out[1].spec).toMatchObject({
      isCA: true,
      secretName: 'internal-ca-root',
      issuerRef: { name: 'internal-ca-bootstrap', kind: 'Issuer' },
    });
    expect(out[2].spec).toEqual({ ca: { secretName: 'internal-ca-root' } });
    expect(ca.issuerRef).toEqual({ name: 'internal-ca', kind: 'Issuer' });
  });

  test.each([
    ['namespace', { namespace: 'Shop' }, "NamespaceCaIssuer: namespace 'Shop'; expected a DNS-1123 label"],
    ['name', { namespace: 'shop', name: 'ca_1' }, "NamespaceCaIssuer: name 'ca_1'; expected a DNS-1123 label"],
  ])('a bad %s is refused', (_f, props, message) => {
    expect(() => new NamespaceCaIssuer(Testing.chart(), 'ca', props)).toThrow(message);
  });
});
