import { iamRoleArn } from '../../core/formats';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import {
  checkFormat,
  checkLocation,
  checkRegion,
  ObjectStorage,
  ObjectStorageClientEnv,
  ObjectStorageEndpoint,
  ObjectStorageLocation,
  ObjectStorageTarget,
} from './object-storage';

export interface AmazonS3StorageProps {
  /** Region of the buckets, e.g. `eu-west-1`. */
  readonly region: string;
  /**
   * IAM role the pods assume through their service account (IRSA): annotated on the service
   * account, never static keys. One role per storage instance: give backups and apps their own
   * instances (and roles) for least privilege.
   */
  readonly roleArn: string;
}

/** HTTPS to Amazon S3: outside the cluster, so the graph allows port 443 to the internet (not to private ranges). */
export const AMAZON_S3_ENDPOINT: ObjectStorageEndpoint = {
  allowFrom: (graph: ServiceGraph, from: string | GraphComponent) => graph.allowInternet(from, 443),
};

/**
 * Amazon S3 with IRSA (prod): clients get the region and their service account the role
 * annotation; no endpoint (the SDK's regional one) and no static credentials; egress 443.
 */
export class AmazonS3Storage implements ObjectStorage {
  public readonly region: string;
  public readonly roleArn: string;
  public readonly endpoint: ObjectStorageEndpoint = AMAZON_S3_ENDPOINT;

  constructor(props: AmazonS3StorageProps) {
    checkRegion('AmazonS3Storage', props.region);
    checkFormat('AmazonS3Storage', 'roleArn', props.roleArn, iamRoleArn);
    this.region = props.region;
    this.roleArn = props.roleArn;
  }

  public target(location: ObjectStorageLocation): ObjectStorageTarget {
    checkLocation('AmazonS3Storage', '', location);
    return { bucket: location.bucket, prefix: location.prefix, region: this.region, roleArn: this.roleArn };
  }

  /** Only the region: the role comes from the service account ({@link serviceAccountAnnotations}). */
  public clientEnv(): ObjectStorageClientEnv {
    return { env: { AWS_REGION: this.region }, secretEnv: {} };
  }

  public serviceAccountAnnotations(): Readonly<Record<string, string>> {
    return { 'eks.amazonaws.com/role-arn': this.roleArn };
  }

  public allowAccess(graph: ServiceGraph, from: string | GraphComponent): void {
    this.endpoint.allowFrom(graph, from);
  }
}
