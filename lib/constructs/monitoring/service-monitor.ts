import { ServiceMonitor } from '../../../imports/monitoring.coreos.com';
import { Construct } from 'constructs';

/** One scraped port of a Service. */
export interface ScrapeEndpoint {
  /** Named Service port. */
  readonly port: string;
  /** HTTP path. @default '/metrics' */
  readonly path?: string;
  /** Scrape interval. @default '30s' */
  readonly interval?: string;
}

export interface MetricsScrapeProps {
  readonly namespace: string;
  /** Name of the ServiceMonitor (usually the Service's). */
  readonly name: string;
  /** Labels of the ServiceMonitor itself (the component's labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels selecting the Service. */
  readonly serviceSelector: Readonly<Record<string, string>>;
  /** Value of the `release` label kube-prometheus-stack selects ServiceMonitors by. */
  readonly release: string;
  readonly endpoints: readonly ScrapeEndpoint[];
}

/** A ServiceMonitor for a Service, labelled for the kube-prometheus-stack release. */
export class MetricsScrape extends Construct {
  public readonly monitor: ServiceMonitor;

  constructor(scope: Construct, id: string, props: MetricsScrapeProps) {
    super(scope, id);
    if (props.endpoints.length === 0)
      throw new Error(`MetricsScrape '${props.name}': endpoints is empty; expected at least one port to scrape`);
    for (const e of props.endpoints) {
      if (e.path !== undefined && !e.path.startsWith('/'))
        throw new Error(`MetricsScrape '${props.name}': endpoint path '${e.path}'; expected an absolute path starting with '/'`);
    }
    this.monitor = new ServiceMonitor(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...props.labels, release: props.release } },
      spec: {
        selector: { matchLabels: { ...props.serviceSelector } },
        namespaceSelector: { matchNames: [props.namespace] },
        endpoints: props.endpoints.map((e) => ({
          port: e.port,
          path: e.path ?? '/metrics',
          interval: e.interval ?? '30s',
          scrapeTimeout: '10s',
        })),
      },
    });
  }
}
