/** The SecretsBackend providers the construct tests render with. */
import { SecretsProvider } from '../../lib/constructs/platform/secrets-backend';

/** AWS Secrets Manager through a namespaced store (a made-up role and prefix). */
export const AWS_PROVIDER: Extract<SecretsProvider, { kind: 'aws-secrets-manager' }> = {
  kind: 'aws-secrets-manager',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::1:role/r',
  keyPrefix: 'prod/shop',
};

/** Both providers, named, for `test.each`. */
export const PROVIDERS: ReadonlyArray<[string, SecretsProvider]> = [
  ['generated', { kind: 'generated' }],
  ['aws-secrets-manager', AWS_PROVIDER],
];
