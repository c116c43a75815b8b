/**
 * Renders a complete `nginx.conf` that serves a static single-page application (a React/Vite
 * build) from an unprivileged nginx with a read-only root filesystem:
 *
 * - the pid file and every temp path live in `tempDir` (an emptyDir), logs go to stdout/stderr;
 * - `healthPath` answers 200 without touching the files;
 * - gzip for text types (and pre-compressed `.gz` files when the build ships them);
 * - content-hashed assets under `immutablePaths` are cached for a year (`immutable`); a missing
 *   asset there is a 404, never index.html (a stale chunk must not be cached as HTML);
 * - `index.html` is never cached, so a new release is picked up on the next load;
 * - SPA fallback: unknown paths serve index.html (client-side routing);
 * - dotfiles are not served, `server_tokens off`.
 *
 * Security headers (CSP, HSTS, ...) are the edge's job (see `tls-ingress.ts`), not repeated here.
 * The text is `assets/static-site-nginx.conf` (one `assets/static-site-immutable-location.conf`
 * per immutable prefix); this module validates the options and fills them in.
 * Errors name the field, the value and what is allowed.
 */
import { renderAsset, renderAssetLines } from '../../core/asset-template';

/** Options of {@link renderStaticSiteConfig}. */
export interface StaticSiteOptions {
  /** Port nginx listens on (IPv4); an unprivileged port, the container runs as non-root. */
  readonly port: number;
  /** Directory holding the build (index.html, assets). @default '/usr/share/nginx/html' */
  readonly root?: string;
  /** Path answering health checks with 200 and `{"status":"UP"}`. @default '/health' */
  readonly healthPath?: string;
  /**
   * Path prefixes of content-hashed build output, cached for a year as immutable; a missing file
   * there is a 404. Each starts and ends with '/'.
   * @default ['/assets/'] (Vite; Create React App uses '/static/')
   */
  readonly immutablePaths?: readonly string[];
  /** Serve index.html for paths that match no file (client-side routing). @default true */
  readonly spaFallback?: boolean;
  /** Cache lifetime in seconds of other files (favicon, images at stable names). @default 3600 */
  readonly defaultMaxAgeSeconds?: number;
  /** Writable directory for the pid file and temp files. @default '/tmp' */
  readonly tempDir?: string;
  /** nginx worker processes. @default 2 */
  readonly workerProcesses?: number;
  /** mime.types file shipped with nginx. @default '/etc/nginx/mime.types' */
  readonly mimeTypesPath?: string;
}

/** MIME types compressed with gzip (text/html is always compressed by nginx). */
export const STATIC_SITE_GZIP_TYPES: readonly string[] = [
  'text/plain',
  'text/css',
  'text/javascript',
  'text/xml',
  'application/javascript',
  'application/json',
  'application/manifest+json',
  'application/xml',
  'application/wasm',
  'image/svg+xml',
  'font/ttf',
  'font/otf',
];

const ABSOLUTE_DIR = /^\/[A-Za-z0-9._/-]*$/;
const URL_PATH = /^\/[A-Za-z0-9._~/-]*$/;

function fail(field: string, value: unknown, expected: string): never {
  throw new Error(`static site ${field}: got ${JSON.stringify(value)}; expected ${expected}`);
}

/**
 * Renders nginx.conf for a static single-page application.
 * @throws Error naming the field, the value and what is allowed.
 */
export function renderStaticSiteConfig(o: StaticSiteOptions): string {
  if (!Number.isInteger(o.port) || o.port < 1024 || o.port > 65535) fail('port', o.port, 'an unprivileged port between 1024 and 65535');
  const root = o.root ?? '/usr/share/nginx/html';
  if (!ABSOLUTE_DIR.test(root) || root.includes('..')) fail('root', root, "an absolute directory such as '/usr/share/nginx/html'");
  const health = o.healthPath ?? '/health';
  if (!URL_PATH.test(health) || health === '/' || health.endsWith('/'))
    fail('healthPath', health, "an absolute URL path such as '/health' (not '/', no trailing '/')");
  const immutable = o.immutablePaths ?? ['/assets/'];
  immutable.forEach((p, i) => {
    if (!URL_PATH.test(p) || !p.endsWith('/') || p === '/')
      fail(`immutablePaths[${i}]`, p, "a path prefix starting and ending with '/' such as '/assets/' (not '/')");
  });
  if (new Set(immutable).size !== immutable.length) fail('immutablePaths', immutable, 'each prefix once');
  if (immutable.some((p) => health.startsWith(p)))
    fail('healthPath', health, `a path outside the immutable prefixes (${immutable.join(', ')})`);
  const maxAge = o.defaultMaxAgeSeconds ?? 3600;
  if (!Number.isInteger(maxAge) || maxAge < 0) fail('defaultMaxAgeSeconds', maxAge, 'an integer >= 0');
  const tmp = o.tempDir ?? '/tmp';
  if (!ABSOLUTE_DIR.test(tmp) || tmp.includes('..') || (tmp.endsWith('/') && tmp !== '/'))
    fail('tempDir', tmp, "an absolute directory such as '/tmp' (no trailing '/')");
  const workers = o.workerProcesses ?? 2;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail('workerProcesses', workers, 'an integer between 1 and 64');
  const mime = o.mimeTypesPath ?? '/etc/nginx/mime.types';
  if (!ABSOLUTE_DIR.test(mime)) fail('mimeTypesPath', mime, "an absolute file path such as '/etc/nginx/mime.types'");
  const spa = o.spaFallback ?? true;

  return renderAsset(__dirname, 'assets/static-site-nginx.conf', {
    temp_dir: tmp,
    worker_processes: String(workers),
    mime_types: mime,
    gzip_types: STATIC_SITE_GZIP_TYPES.join(' '),
    port: String(o.port),
    root,
    health_path: health,
    immutable_locations: immutable.flatMap((prefix) => [
      ...renderAssetLines(__dirname, 'assets/static-site-immutable-location.conf', { prefix }),
      '',
    ]),
    default_max_age: String(maxAge),
    fallback_comment: spa
      ? 'SPA fallback: client-side routes are served by index.html (not cached, see above).'
      : 'No SPA fallback: unknown paths are 404.',
    fallback: spa ? '/index.html' : '=404',
  });
}
