import { EnvironmentConfig } from '../config';
import { Infer } from '../lib/config-schema';
import { SecretKeyRef } from '../lib/container';
import { BackupTarget } from '../lib/database-backup';
import { SecretsProvider } from '../lib/secrets-backend';
import { ExternalPeer } from '../lib/service-graph';
import { awsStackSchema, backupSchema } from '../config/schema';

/**
 * Environment-to-library wiring shared by every stack chart: the platform peers of
 * the service graph, the secrets provider and the backup target.
 */

/** The ingress controller and Prometheus as graph peers. */
export function standardExternals(env: EnvironmentConfig): Record<string, ExternalPeer> {
  return {
    'ingress-controller': { namespace: env.ingress.controllerNamespace, podLabels: env.ingress.controllerPodLabels },
    prometheus: { namespace: env.monitoring.namespace, podLabels: env.monitoring.prometheusPodLabels },
  };
}

/** The stack's secrets provider from the environment. */
export function secretsProvider(env: EnvironmentConfig, aws: Infer<typeof awsStackSchema> | undefined): SecretsProvider {
  if (env.secrets.provider === 'generated') return { kind: 'generated' };
  if (!aws || !env.secrets.awsRegion) throw new Error('secrets.provider aws-secrets-manager needs secrets.awsRegion and the stack\'s aws settings');
  return { kind: 'aws-secrets-manager', region: env.secrets.awsRegion, roleArn: aws.secretsRoleArn, keyPrefix: aws.secretsKeyPrefix };
}

/** Where a stack's backups go: the in-namespace LocalStack (dev) or Amazon S3 with IRSA (prod). */
export function backupTarget(
  backups: Infer<typeof backupSchema>,
  prefix: string,
  aws: Infer<typeof awsStackSchema> | undefined,
  localstackHost: string | undefined,
  credentials: Record<string, SecretKeyRef> | undefined,
): BackupTarget {
  if (backups.target === 'localstack') {
    if (!localstackHost || !credentials) throw new Error('backups.target localstack needs LocalStack enabled in the stack');
    return {
      bucket: backups.bucket,
      prefix,
      region: backups.region,
      endpointUrl: `http://${localstackHost}:4566`,
      credentials: { accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY },
    };
  }
  if (!aws) throw new Error('backups.target s3 needs the stack\'s aws.backupRoleArn');
  return { bucket: backups.bucket, prefix, region: backups.region, roleArn: aws.backupRoleArn };
}
