import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Middleware, MiddlewareSpec, MiddlewareSpecRateLimitPeriod } from '../imports/traefik.io';
import { HelmValues } from './helm';
import { VALUE_SCHEMAS } from './workload-values';

/** Security response headers (the seeds' Nginx `add_header` set). */
export interface SecurityHeaders {
  /** @default "default-src 'self'" */
  readonly contentSecurityPolicy?: string;
  /** HSTS max-age in seconds. @default 31536000 */
  readonly hstsSeconds?: number;
  /** @default 'DENY' */
  readonly frameOptions?: 'DENY' | 'SAMEORIGIN';
  /** @default 'strict-origin-when-cross-origin' */
  readonly referrerPolicy?: string;
}

/** Request rate limit per client IP. */
export interface RateLimit {
  /** Average requests per period. */
  readonly average: number;
  /** Burst size. */
  readonly burst: number;
  /** Period. @default '1s' */
  readonly period?: string;
}

/** Edge behaviour applied by the ingress controller (Traefik middlewares). */
export interface EdgeOptions {
  /** @default - the defaults of {@link SecurityHeaders} */
  readonly securityHeaders?: SecurityHeaders;
  /** CORS allow-list. @default - no CORS headers added at the edge */
  readonly corsAllowedOrigins?: readonly string[];
  /** Rate limit. @default - none */
  readonly rateLimit?: RateLimit;
  /** Maximum request body in bytes. @default - none */
  readonly maxRequestBodyBytes?: number;
  /** gzip/brotli compression of responses. @default false */
  readonly compress?: boolean;
}

/** One routed path. */
export interface IngressRoute {
  /** Path prefix. @default '/' */
  readonly path?: string;
  readonly serviceName: string;
  readonly servicePort: number;
}

export interface TlsIngressProps {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly host: string;
  /** IngressClass. */
  readonly className: string;
  /** cert-manager ClusterIssuer that signs the certificate. */
  readonly clusterIssuer: string;
  readonly routes: readonly IngressRoute[];
  readonly edge?: EdgeOptions;
  /** Dotted prefix of the Helm values. @default 'ingress' */
  readonly helmPrefix?: string;
}

/**
 * A `networking.k8s.io/v1` Ingress served over HTTPS only (Traefik `websecure`
 * entrypoint), with a cert-manager certificate and Traefik middlewares for
 * security headers, CORS, rate limiting, body size and compression.
 */
export class TlsIngress extends Construct {
  public readonly ingress: k8s.KubeIngress;
  /** Names of the middlewares applied, in order. */
  public readonly middlewares: readonly string[];

  constructor(scope: Construct, id: string, props: TlsIngressProps) {
    super(scope, id);
    if (props.routes.length === 0) throw new Error(`TlsIngress '${props.name}': routes is empty; expected at least one route`);
    const edge = props.edge ?? {};
    const specs: Array<[string, MiddlewareSpec]> = [];
    const h = edge.securityHeaders ?? {};
    if (h.hstsSeconds !== undefined && (!Number.isInteger(h.hstsSeconds) || h.hstsSeconds < 0)) {
      throw new Error(`TlsIngress '${props.name}': securityHeaders.hstsSeconds ${h.hstsSeconds}; expected an integer >= 0`);
    }
    specs.push(['security-headers', {
      headers: {
        frameDeny: (h.frameOptions ?? 'DENY') === 'DENY',
        ...(h.frameOptions === 'SAMEORIGIN' ? { customFrameOptionsValue: 'SAMEORIGIN' } : {}),
        contentTypeNosniff: true,
        browserXssFilter: true,
        stsSeconds: h.hstsSeconds ?? 31536000,
        stsIncludeSubdomains: true,
        forceStsHeader: true,
        contentSecurityPolicy: h.contentSecurityPolicy ?? "default-src 'self'",
        referrerPolicy: h.referrerPolicy ?? 'strict-origin-when-cross-origin',
      },
    }]);
    if (edge.corsAllowedOrigins?.length) {
      for (const o of edge.corsAllowedOrigins) {
        if (!/^https?:\/\/[a-z0-9.-]+(:[0-9]+)?$/.test(o)) throw new Error(`TlsIngress '${props.name}': corsAllowedOrigins entry '${o}'; expected an origin such as https://app.example.com (scheme, host, optional port, no path)`);
      }
      specs.push(['cors', {
        headers: {
          accessControlAllowOriginList: [...edge.corsAllowedOrigins],
          accessControlAllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
          accessControlAllowHeaders: ['Authorization', 'Content-Type'],
          accessControlAllowCredentials: true,
          accessControlMaxAge: 600,
          addVaryHeader: true,
        },
      }]);
    }
    if (edge.rateLimit) {
      const r = edge.rateLimit;
      if (!Number.isInteger(r.average) || r.average < 1) throw new Error(`TlsIngress '${props.name}': rateLimit.average ${r.average}; expected an integer >= 1`);
      if (!Number.isInteger(r.burst) || r.burst < 1) throw new Error(`TlsIngress '${props.name}': rateLimit.burst ${r.burst}; expected an integer >= 1`);
      specs.push(['rate-limit', { rateLimit: { average: r.average, burst: r.burst, period: MiddlewareSpecRateLimitPeriod.fromString(r.period ?? '1s') } }]);
    }
    if (edge.maxRequestBodyBytes !== undefined) {
      if (!Number.isInteger(edge.maxRequestBodyBytes) || edge.maxRequestBodyBytes < 1) throw new Error(`TlsIngress '${props.name}': maxRequestBodyBytes ${edge.maxRequestBodyBytes}; expected an integer >= 1`);
      specs.push(['body-limit', { buffering: { maxRequestBodyBytes: edge.maxRequestBodyBytes } }]);
    }
    if (edge.compress) specs.push(['compress', { compress: {} }]);

    this.middlewares = specs.map(([suffix]) => `${props.name}-${suffix}`);
    specs.forEach(([suffix, spec]) => new Middleware(this, suffix, {
      metadata: { name: `${props.name}-${suffix}`, namespace: props.namespace, labels: { ...props.labels } },
      spec,
    }));

    this.ingress = new k8s.KubeIngress(this, 'ingress', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: { ...props.labels },
        annotations: {
          'cert-manager.io/cluster-issuer': props.clusterIssuer,
          'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
          'traefik.ingress.kubernetes.io/router.tls': 'true',
          'traefik.ingress.kubernetes.io/router.middlewares': this.middlewares.map((m) => `${props.namespace}-${m}@kubernetescrd`).join(','),
        },
      },
      spec: {
        ingressClassName: props.className,
        tls: [{ hosts: [props.host], secretName: `${props.name}-tls` }],
        rules: [{
          host: props.host,
          http: {
            paths: props.routes.map((r) => ({
              path: r.path ?? '/',
              pathType: 'Prefix',
              backend: { service: { name: r.serviceName, port: { number: r.servicePort } } },
            })),
          },
        }],
      },
    });
    const prefix = props.helmPrefix ?? 'ingress';
    const helm = HelmValues.of(this);
    helm.bind(this.ingress, '/spec/rules/0/host', `${prefix}.host`, VALUE_SCHEMAS.hostname);
    helm.bind(this.ingress, '/spec/tls/0/hosts/0', `${prefix}.host`, VALUE_SCHEMAS.hostname);
    helm.bind(this.ingress, '/spec/ingressClassName', `${prefix}.className`, VALUE_SCHEMAS.dnsName);
    helm.bind(this.ingress, '/metadata/annotations/cert-manager.io~1cluster-issuer', `${prefix}.clusterIssuer`, VALUE_SCHEMAS.dnsName);
  }
}
