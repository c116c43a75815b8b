import { createHash } from 'crypto';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkLabelValue, checkNamespace, checkNonEmpty, checkObjectName, fail } from './validation';

export * from './dashboard-panels';

/** One PromQL query of a panel. */
export interface DashboardTarget {
  /** PromQL; may use `$namespace` (the dashboard's constant variable). */
  readonly expr: string;
  /**
   * Legend format, e.g. `{{status}}`.
   * @default - Grafana's default (the series labels)
   */
  readonly legend?: string;
}

/** One dashboard panel. Panels are laid out left to right, wrapping at 24 grid columns. */
export interface DashboardPanel {
  /** Panel title. */
  readonly title: string;
  /** Panel type: `timeseries` (12x8 grid units), `stat` (6x4 grid units) or `logs` (24x10, an Elasticsearch datasource). */
  readonly type: 'timeseries' | 'stat' | 'logs';
  /** PromQL queries; at least one (none for `logs`). */
  readonly exprs: DashboardTarget[];
  /** The datasource and query of a `logs` panel (required with it, refused otherwise). @default - none */
  readonly logs?: DashboardLogsQuery;
  /**
   * Grafana unit id, e.g. `reqps`, `s`, `bytes`, `percentunit`.
   * @default - no unit
   */
  readonly unit?: string;
  /**
   * Panel description (shown as a tooltip).
   * @default - none
   */
  readonly description?: string;
  /**
   * Width in grid columns (1-24).
   * @default - 12 for timeseries, 6 for stat
   */
  readonly width?: number;
  /**
   * Threshold steps in ascending `value` order, e.g. an SLO target: a timeseries draws each as a
   * dashed line, a stat takes the colour of the highest step its value reaches.
   * @default - none (one green base step)
   */
  readonly thresholds?: readonly DashboardThreshold[];
  /**
   * Colour below the first threshold.
   * @default 'green'
   */
  readonly baseColor?: string;
}

/** A logs panel's source: an Elasticsearch datasource by uid and a Lucene query. */
export interface DashboardLogsQuery {
  readonly datasourceUid: string;
  readonly query: string;
}

/** One threshold step of a panel. */
export interface DashboardThreshold {
  /** Where the step starts (in the panel's unit; `percentunit` is 0-1). */
  readonly value: number;
  /** Grafana colour name or `#rrggbb`, e.g. `red`. */
  readonly color: string;
}

/** Props for {@link GrafanaDashboard}. */
export interface GrafanaDashboardProps {
  /** Namespace of the ConfigMap; also the value of the dashboard's `namespace` constant variable. */
  readonly namespace: string;
  /** ConfigMap name; the dashboard is stored under the key `<name>.json`. */
  readonly name: string;
  /** Dashboard title. */
  readonly title: string;
  /**
   * `release` label of the ConfigMap.
   * @default - no release label
   */
  readonly release?: string;
  /**
   * Grafana folder, set as the `grafana_folder` annotation read by the Grafana sidecar.
   * @default - the sidecar's default folder
   */
  readonly folder?: string;
  /** Panels, in display order; at least one. */
  readonly panels: DashboardPanel[];
  /**
   * Dashboard tags.
   * @default []
   */
  readonly tags?: string[];
  /**
   * Extra ConfigMap labels (`grafana_dashboard` is always set to "1").
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/** Options for {@link buildDashboard}. */
export interface DashboardModelOptions {
  /** Dashboard uid (max 40 chars of `[A-Za-z0-9_-]`). */
  readonly uid: string;
  /** Dashboard title. */
  readonly title: string;
  /** Value of the `namespace` constant variable. */
  readonly namespace: string;
  /** Panels, in display order. */
  readonly panels: readonly DashboardPanel[];
  /** Tags. @default [] */
  readonly tags?: readonly string[];
}

/** Grafana schema version of the generated dashboards. */
export const DASHBOARD_SCHEMA_VERSION = 39;
/** Width of the Grafana grid. */
const GRID_COLUMNS = 24;
const SIZES = { timeseries: { w: 12, h: 8 }, stat: { w: 6, h: 4 }, logs: { w: 24, h: 10 } } as const;
/** Most log lines a logs panel fetches. */
const LOG_LIMIT = 500;
/** ConfigMaps are limited to 1 MiB in total. */
const MAX_CONFIGMAP_BYTES = 1024 * 1024;
/** Datasource reference used by every panel and target: the `datasource` template variable. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/**
 * A Grafana dashboard in a ConfigMap labelled `grafana_dashboard: "1"`, picked
 * up by kube-prometheus-stack's Grafana sidecar.
 *
 * The dashboard has a `datasource` variable (type prometheus) and a hidden
 * `namespace` constant set to `props.namespace`; panel queries scope
 * themselves with `namespace="$namespace"`.
 */
export class GrafanaDashboard extends Construct {
  /**
   * Deterministic Grafana uid for a dashboard: a readable slug of `name` plus a
   * hash of `<namespace>/<name>`, so equally named dashboards of two stacks
   * never overwrite each other in Grafana. At most 40 characters.
   */
  public static uidFor(namespace: string, name: string): string {
    const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 8);
    const slug = name
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 40 - hash.length - 1)
      .replace(/-+$/, '');
    return `${slug}-${hash}`;
  }

  /** Dashboard uid. */
  public readonly uid: string;
  /** Key of the dashboard in the ConfigMap (`<name>.json`). */
  public readonly fileName: string;
  /** The dashboard model (what is serialised into the ConfigMap). */
  public readonly dashboard: Record<string, unknown>;
  /** The generated ConfigMap. */
  public readonly configMap: kplus.ConfigMap;

  public constructor(scope: Construct, id: string, props: GrafanaDashboardProps) {
    super(scope, id);
    const where = `GrafanaDashboard ${this.node.path}`;
    const namespace = checkNamespace(where, 'namespace', props.namespace);
    const name = checkObjectName(where, 'name', props.name);
    checkNonEmpty(where, 'title', props.title);
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(props.labels ?? {})) {
      checkLabelValue(where, `labels[${JSON.stringify(key)}]`, value, true);
      labels[key] = value;
    }
    if (props.release !== undefined) labels.release = checkLabelValue(where, 'release', props.release);
    labels.grafana_dashboard = '1';
    const annotations: Record<string, string> = {};
    if (props.folder !== undefined) annotations.grafana_folder = checkNonEmpty(where, 'folder', props.folder);

    this.uid = GrafanaDashboard.uidFor(namespace, name);
    this.fileName = `${name}.json`;
    this.dashboard = buildDashboard({ uid: this.uid, title: props.title, namespace, panels: props.panels, tags: props.tags }, where);
    const json = JSON.stringify(this.dashboard, null, 2);
    if (Buffer.byteLength(json) > MAX_CONFIGMAP_BYTES - 4096) {
      fail(
        where,
        'panels',
        `${props.panels.length} panels (${Buffer.byteLength(json)} bytes of JSON)`,
        'small enough for a ConfigMap (< 1 MiB); split the dashboard',
      );
    }

    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', {
      metadata: {
        name,
        namespace,
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      data: { [this.fileName]: json },
    });
  }
}

/** Props come from JavaScript too: checks what the type only claims. */
function isNonEmptyStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((t) => typeof t === 'string' && t !== '');
}

/**
 * Builds a Grafana dashboard model (schemaVersion 39) with a `datasource`
 * variable, a hidden `namespace` constant and the panels laid out on the grid.
 */
export function buildDashboard(options: DashboardModelOptions, where = 'buildDashboard'): Record<string, unknown> {
  if (typeof options.uid !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(options.uid)) {
    fail(where, 'uid', options.uid, 'a Grafana uid (1-40 chars of A-Z, a-z, 0-9, "_" and "-")');
  }
  checkNonEmpty(where, 'title', options.title);
  const tags: unknown = options.tags ?? [];
  if (!isNonEmptyStringArray(tags)) {
    fail(where, 'tags', tags, 'an array of non-empty strings');
  }
  return {
    uid: options.uid,
    title: options.title,
    tags: [...tags],
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    version: 1,
    editable: true,
    graphTooltip: 1,
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
          skipUrlSync: false,
        },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'constant',
          query: options.namespace,
          current: { selected: false, text: options.namespace, value: options.namespace },
          options: [{ selected: true, text: options.namespace, value: options.namespace }],
          hide: 2,
          skipUrlSync: false,
        },
      ],
    },
    panels: layoutPanels(where, options.panels),
  };
}

function layoutPanels(where: string, panels: readonly DashboardPanel[]): Array<Record<string, unknown>> {
  const list: unknown = panels;
  if (!Array.isArray(list) || list.length === 0) fail(where, 'panels', list, 'a non-empty array of panels');
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  /** The next free grid position for the panel's size (a new row when it does not fit). */
  const place = (panel: DashboardPanel): { h: number; w: number; x: number; y: number } => {
    const w = panel.width ?? SIZES[panel.type].w;
    const h = SIZES[panel.type].h;
    if (x + w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h, w, x, y };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return gridPos;
  };
  return panels.map((panel, i) => {
    const at = `panels[${i}]`;
    checkNonEmpty(where, `${at}.title`, panel.title);
    const type: unknown = panel.type;
    if (type !== 'timeseries' && type !== 'stat' && type !== 'logs') fail(where, `${at}.type`, type, '"timeseries", "stat" or "logs"');
    if (type === 'logs' || panel.logs !== undefined) return { ...logsPanelModel(where, at, panel, i), gridPos: place(panel) };
    const exprs: unknown = panel.exprs;
    if (!Array.isArray(exprs) || exprs.length === 0) fail(where, `${at}.exprs`, exprs, 'a non-empty array of { expr, legend? }');
    if (panel.exprs.length > 26) fail(where, `${at}.exprs`, `${panel.exprs.length} queries`, 'at most 26 queries (refId A-Z)');
    panel.exprs.forEach((t, j) => checkNonEmpty(where, `${at}.exprs[${j}].expr`, t?.expr));
    if (panel.unit !== undefined) checkNonEmpty(where, `${at}.unit`, panel.unit);
    const w = panel.width ?? SIZES[panel.type].w;
    if (!Number.isInteger(w) || w < 1 || w > GRID_COLUMNS) fail(where, `${at}.width`, panel.width, `an integer from 1 to ${GRID_COLUMNS}`);
    const steps = thresholdSteps(where, at, panel);
    const gridPos = place(panel);

    const targets = panel.exprs.map((t, j) => ({
      refId: String.fromCharCode(65 + j),
      datasource: { ...DATASOURCE },
      expr: t.expr,
      ...(t.legend !== undefined ? { legendFormat: t.legend } : {}),
      ...(panel.type === 'stat' ? { instant: true, range: false } : { instant: false, range: true }),
    }));
    return {
      id: i + 1,
      type: panel.type,
      title: panel.title,
      ...(panel.description !== undefined ? { description: panel.description } : {}),
      datasource: { ...DATASOURCE },
      gridPos,
      fieldConfig: {
        defaults: {
          ...(panel.unit !== undefined ? { unit: panel.unit } : {}),
          color: { mode: panel.type === 'stat' ? 'thresholds' : 'palette-classic' },
          thresholds: { mode: 'absolute', steps },
          ...(panel.type === 'timeseries'
            ? {
                custom: {
                  drawStyle: 'line',
                  lineWidth: 1,
                  fillOpacity: 10,
                  showPoints: 'never',
                  spanNulls: false,
                  ...(steps.length > 1 ? { thresholdsStyle: { mode: 'dashed' } } : {}),
                },
              }
            : {}),
        },
        overrides: [],
      },
      options:
        panel.type === 'stat'
          ? {
              reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
              colorMode: 'value',
              graphMode: 'none',
              justifyMode: 'auto',
              orientation: 'auto',
              textMode: 'auto',
            }
          : {
              legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
              tooltip: { mode: 'multi', sort: 'none' },
            },
      targets,
    };
  });
}

const DATASOURCE_UID = /^[a-zA-Z0-9_-]{1,40}$/;

/** A Grafana logs panel on an Elasticsearch datasource (newest first, one Lucene query). */
function logsPanelModel(where: string, at: string, panel: DashboardPanel, i: number): Record<string, unknown> {
  if (panel.type !== 'logs') fail(where, `${at}.logs`, panel.logs, `nothing with type "${String(panel.type)}" (only a logs panel has one)`);
  const logs: unknown = panel.logs;
  if (typeof logs !== 'object' || logs === null) fail(where, `${at}.logs`, logs, '{ datasourceUid, query } with type "logs"');
  const { datasourceUid, query } = panel.logs!;
  if (typeof datasourceUid !== 'string' || !DATASOURCE_UID.test(datasourceUid))
    fail(where, `${at}.logs.datasourceUid`, datasourceUid, "a datasource uid of 1-40 letters, digits, '-' and '_'");
  checkNonEmpty(where, `${at}.logs.query`, query);
  if (panel.exprs.length > 0)
    fail(where, `${at}.exprs`, `${panel.exprs.length} queries`, 'none with type "logs" (its query is logs.query)');
  const w = panel.width ?? SIZES.logs.w;
  if (!Number.isInteger(w) || w < 1 || w > GRID_COLUMNS) fail(where, `${at}.width`, panel.width, `an integer from 1 to ${GRID_COLUMNS}`);
  const datasource = { type: 'elasticsearch', uid: datasourceUid };
  return {
    id: i + 1,
    type: 'logs',
    title: panel.title,
    ...(panel.description !== undefined ? { description: panel.description } : {}),
    datasource,
    options: {
      showTime: true,
      wrapLogMessage: true,
      sortOrder: 'Descending',
      enableLogDetails: true,
      dedupStrategy: 'none',
      prettifyLogMessage: false,
      showCommonLabels: false,
      showLabels: false,
    },
    targets: [
      {
        refId: 'A',
        datasource,
        query,
        queryType: 'logs',
        metrics: [{ id: '1', type: 'logs', settings: { limit: String(LOG_LIMIT) } }],
        bucketAggs: [],
        timeField: '@timestamp',
      },
    ],
  };
}

const COLOR = /^(#[0-9a-fA-F]{6}|[a-z][a-z-]*)$/;

/** Grafana threshold steps of a panel: the base colour, then each threshold (validated, ascending). */
function thresholdSteps(where: string, at: string, panel: DashboardPanel): Array<{ color: string; value: number | null }> {
  const base = panel.baseColor ?? 'green';
  if (typeof base !== 'string' || !COLOR.test(base)) fail(where, `${at}.baseColor`, base, 'a Grafana colour name or #rrggbb');
  const list: unknown = panel.thresholds ?? [];
  if (!Array.isArray(list)) fail(where, `${at}.thresholds`, list, 'an array of { value, color }');
  let previous = -Infinity;
  const steps: Array<{ color: string; value: number | null }> = [{ color: base, value: null }];
  (list as DashboardThreshold[]).forEach((t, k) => {
    const value: unknown = t?.value;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= previous) {
      fail(where, `${at}.thresholds[${k}].value`, value, 'a finite number above the previous threshold');
    }
    if (typeof t.color !== 'string' || !COLOR.test(t.color)) {
      fail(where, `${at}.thresholds[${k}].color`, t.color, 'a Grafana colour name or #rrggbb');
    }
    previous = value;
    steps.push({ color: t.color, value });
  });
  return steps;
}
