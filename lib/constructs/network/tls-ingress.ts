import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  Middleware,
  MiddlewareSpec,
  MiddlewareSpecRateLimitPeriod,
  MiddlewareSpecRateLimitSourceCriterion,
} from '../../../imports/traefik.io';
import { HelmValues } from '../../output/helm';
import { VALUE_SCHEMAS } from '../workloads/workload-values';
import { cidr, dnsLabel, origin } from '../../core/formats';

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

/**
 * What every rate limit counts by: the connection's client address (`ipStrategy.depth: 0`, Traefik's
 * RemoteAddr strategy; 0 means "do not read X-Forwarded-For"). Behind a TCP load balancer with
 * proxy protocol, Traefik sets that address from the PROXY header of a trusted peer, so it is the
 * real client; a depth >= 1 would read X-Forwarded-For instead, which a client writes itself and
 * which Traefik, trusting no client for it, has removed by the time middlewares run (an empty
 * source). Where clients share one address (kind: every request comes through the host), they
 * share one budget.
 */
export const RATE_LIMIT_SOURCE: MiddlewareSpecRateLimitSourceCriterion = { ipStrategy: { depth: 0 } };

/** Request rate limit per client address (see {@link RATE_LIMIT_SOURCE}). */
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
  /**
   * Client networks (CIDRs) allowed through; every other client gets 403 before any other
   * middleware runs (tools such as admin consoles). Traefik compares the connection's client
   * address: on kind that is the Docker network of the host; behind the EKS NLB it is the client's
   * own, from the proxy protocol header.
   * @default - every client
   */
  readonly ipAllowList?: readonly string[];
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
  /**
   * This path's own rate limit instead of `edge.rateLimit` (`'none'`: no limit), e.g. a stricter
   * limit on authentication endpoints. Traefik applies middlewares per Ingress object, so such a
   * route is rendered as its own Ingress `<ingress name>-<route name>` for the same host and
   * certificate, with the ingress-wide middlewares and its own rate limit; Traefik matches the
   * longest path first, so `/api/auth` wins over `/api` and `/`.
   * @default - edge.rateLimit
   */
  readonly rateLimit?: RateLimit | 'none';
  /** Names the route's own Ingress and rate-limit middleware (DNS label); required with `rateLimit`. @default - none */
  readonly name?: string;
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
 * security headers, CORS, rate limiting, body size and compression. Routes with
 * their own rate limit get their own Ingress for the same host and certificate.
 */
export class TlsIngress extends Construct {
  /** The Ingress of the routes using the ingress-wide edge settings; it requests the certificate. */
  public readonly ingress: k8s.KubeIngress;
  /** Every Ingress rendered: {@link ingress} first, then one per route with its own rate limit. */
  public readonly ingresses: readonly k8s.KubeIngress[];
  /** Names of the middlewares applied to {@link ingress}, in order. */
  public readonly middlewares: readonly string[];
  /** Route name -> names of the middlewares of that route's own Ingress, in order. */
  public readonly routeMiddlewares: Readonly<Record<string, readonly string[]>>;

  constructor(scope: Construct, id: string, props: TlsIngressProps) {
    super(scope, id);
    if (props.routes.length === 0) throw new Error(`TlsIngress '${props.name}': routes is empty; expected at least one route`);
    validateRoutes(props);
    const edge = props.edge ?? {};
    const specs: Array<[string, MiddlewareSpec]> = [];
    if (edge.ipAllowList !== undefined) {
      if (edge.ipAllowList.length === 0)
        throw new Error(`TlsIngress '${props.name}': ipAllowList is empty; expected at least one CIDR (omit it to admit every client)`);
      edge.ipAllowList.forEach((c, i) => {
        if (!cidr.test(c)) throw new Error(`TlsIngress '${props.name}': ipAllowList[${i}] '${c}'; expected ${cidr.expected}`);
      });
      specs.push(['ip-allow-list', { ipAllowList: { sourceRange: [...edge.ipAllowList] } }]);
    }
    const h = edge.securityHeaders ?? {};
    if (h.hstsSeconds !== undefined && (!Number.isInteger(h.hstsSeconds) || h.hstsSeconds < 0)) {
      throw new Error(`TlsIngress '${props.name}': securityHeaders.hstsSeconds ${h.hstsSeconds}; expected an integer >= 0`);
    }
    specs.push([
      'security-headers',
      {
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
      },
    ]);
    if (edge.corsAllowedOrigins?.length) {
      for (const o of edge.corsAllowedOrigins) {
        if (!origin.test(o))
          throw new Error(
            `TlsIngress '${props.name}': corsAllowedOrigins entry '${o}'; expected an origin such as https://app.example.com (scheme, host, optional port, no path)`,
          );
      }
      specs.push([
        'cors',
        {
          headers: {
            accessControlAllowOriginList: [...edge.corsAllowedOrigins],
            accessControlAllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
            accessControlAllowHeaders: ['Authorization', 'Content-Type'],
            accessControlAllowCredentials: true,
            accessControlMaxAge: 600,
            addVaryHeader: true,
          },
        },
      ]);
    }
    // Placeholder position of the rate limit in the chain; each Ingress fills in its own.
    const RATE_LIMIT_SLOT = specs.length;
    if (edge.rateLimit) specs.push(['rate-limit', rateLimitSpec(props.name, 'rateLimit', edge.rateLimit)]);
    if (edge.maxRequestBodyBytes !== undefined) {
      if (!Number.isInteger(edge.maxRequestBodyBytes) || edge.maxRequestBodyBytes < 1)
        throw new Error(`TlsIngress '${props.name}': maxRequestBodyBytes ${edge.maxRequestBodyBytes}; expected an integer >= 1`);
      specs.push(['body-limit', { buffering: { maxRequestBodyBytes: edge.maxRequestBodyBytes } }]);
    }
    if (edge.compress) specs.push(['compress', { compress: {} }]);

    const common = specs.filter(([suffix]) => suffix !== 'rate-limit');
    specs.forEach(
      ([suffix, spec]) =>
        new Middleware(this, suffix, {
          metadata: { name: `${props.name}-${suffix}`, namespace: props.namespace, labels: { ...props.labels } },
          spec,
        }),
    );
    const chain = (rateLimitName: string | undefined): string[] => {
      const names = common.map(([suffix]) => `${props.name}-${suffix}`);
      if (rateLimitName) names.splice(RATE_LIMIT_SLOT, 0, rateLimitName);
      return names;
    };
    this.middlewares = chain(edge.rateLimit ? `${props.name}-rate-limit` : undefined);

    const own = props.routes.filter((r) => r.rateLimit !== undefined);
    const shared = props.routes.filter((r) => r.rateLimit === undefined);
    const routeMiddlewares: Record<string, readonly string[]> = {};
    for (const r of own) {
      const ingressName = `${props.name}-${r.name}`;
      if (r.rateLimit !== 'none') {
        new Middleware(this, `${r.name}-rate-limit`, {
          metadata: { name: `${ingressName}-rate-limit`, namespace: props.namespace, labels: { ...props.labels } },
          spec: rateLimitSpec(props.name, `routes[${props.routes.indexOf(r)}].rateLimit`, r.rateLimit!),
        });
      }
      routeMiddlewares[r.name!] = chain(r.rateLimit === 'none' ? undefined : `${ingressName}-rate-limit`);
    }
    this.routeMiddlewares = routeMiddlewares;

    const render = (
      cid: string,
      name: string,
      routes: readonly IngressRoute[],
      middlewares: readonly string[],
      certificate: boolean,
    ): k8s.KubeIngress => {
      const ingress = new k8s.KubeIngress(this, cid, {
        metadata: {
          name,
          namespace: props.namespace,
          labels: { ...props.labels },
          annotations: {
            ...(certificate ? { 'cert-manager.io/cluster-issuer': props.clusterIssuer } : {}),
            'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
            'traefik.ingress.kubernetes.io/router.tls': 'true',
            'traefik.ingress.kubernetes.io/router.middlewares': middlewares.map((m) => `${props.namespace}-${m}@kubernetescrd`).join(','),
          },
        },
        spec: {
          ingressClassName: props.className,
          // Every Ingress of the host serves the one certificate the first requests from cert-manager.
          tls: [{ hosts: [props.host], secretName: `${props.name}-tls` }],
          rules: [
            {
              host: props.host,
              http: {
                paths: routes.map((r) => ({
                  path: r.path ?? '/',
                  pathType: 'Prefix',
                  backend: { service: { name: r.serviceName, port: { number: r.servicePort } } },
                })),
              },
            },
          ],
        },
      });
      const prefix = props.helmPrefix ?? 'ingress';
      const helm = HelmValues.of(this);
      helm.bind(ingress, '/spec/rules/0/host', `${prefix}.host`, VALUE_SCHEMAS.hostname);
      helm.bind(ingress, '/spec/tls/0/hosts/0', `${prefix}.host`, VALUE_SCHEMAS.hostname);
      helm.bind(ingress, '/spec/ingressClassName', `${prefix}.className`, VALUE_SCHEMAS.dnsName);
      if (certificate)
        helm.bind(ingress, '/metadata/annotations/cert-manager.io~1cluster-issuer', `${prefix}.clusterIssuer`, VALUE_SCHEMAS.dnsName);
      return ingress;
    };
    this.ingress = render('ingress', props.name, shared, this.middlewares, true);
    this.ingresses = [
      this.ingress,
      ...own.map((r) => render(`ingress-${r.name}`, `${props.name}-${r.name}`, [r], routeMiddlewares[r.name!], false)),
    ];
  }
}

function rateLimitSpec(ingress: string, field: string, r: RateLimit): MiddlewareSpec {
  if (!Number.isInteger(r.average) || r.average < 1)
    throw new Error(`TlsIngress '${ingress}': ${field}.average ${r.average}; expected an integer >= 1`);
  if (!Number.isInteger(r.burst) || r.burst < 1)
    throw new Error(`TlsIngress '${ingress}': ${field}.burst ${r.burst}; expected an integer >= 1`);
  if (r.period !== undefined && !/^[1-9][0-9]*(s|m|h)$/.test(r.period))
    throw new Error(`TlsIngress '${ingress}': ${field}.period '${r.period}'; expected a duration such as '1s', '1m' or '1h'`);
  return {
    rateLimit: {
      average: r.average,
      burst: r.burst,
      period: MiddlewareSpecRateLimitPeriod.fromString(r.period ?? '1s'),
      sourceCriterion: RATE_LIMIT_SOURCE,
    },
  };
}

function validateRoutes(props: TlsIngressProps): void {
  const where = `TlsIngress '${props.name}'`;
  const names = new Set<string>();
  const paths = new Set<string>();
  props.routes.forEach((r, i) => {
    const path = r.path ?? '/';
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path))
      throw new Error(`${where}: routes[${i}].path '${path}'; expected an absolute URL path prefix such as /api`);
    if (paths.has(path)) throw new Error(`${where}: routes[${i}].path '${path}' is routed twice; expected each path once`);
    paths.add(path);
    if (r.name !== undefined) {
      if (!dnsLabel.test(r.name)) throw new Error(`${where}: routes[${i}].name '${r.name}'; expected a DNS-1123 label`);
      if (names.has(r.name)) throw new Error(`${where}: routes[${i}].name '${r.name}' is used twice; expected unique route names`);
      names.add(r.name);
    }
    if (r.rateLimit !== undefined && r.name === undefined) {
      throw new Error(
        `${where}: routes[${i}] (${path}) has its own rateLimit but no name; expected a name for its own Ingress and middleware`,
      );
    }
  });
  if (props.routes.every((r) => r.rateLimit !== undefined)) {
    throw new Error(
      `${where}: every route has its own rateLimit; expected at least one route with the ingress-wide edge settings (its Ingress requests the certificate)`,
    );
  }
}
