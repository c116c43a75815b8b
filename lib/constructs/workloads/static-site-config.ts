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
 * Errors name the field, the value and what is allowed.
 */

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
  'text/plain', 'text/css', 'text/javascript', 'text/xml', 'application/javascript', 'application/json',
  'application/manifest+json', 'application/xml', 'application/wasm', 'image/svg+xml', 'font/ttf', 'font/otf',
];

const ABSOLUTE_DIR = /^\/[A-Za-z0-9._\/-]*$/;
const URL_PATH = /^\/[A-Za-z0-9._~\/-]*$/;

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
  if (!URL_PATH.test(health) || health === '/' || health.endsWith('/')) fail('healthPath', health, "an absolute URL path such as '/health' (not '/', no trailing '/')");
  const immutable = o.immutablePaths ?? ['/assets/'];
  immutable.forEach((p, i) => {
    if (!URL_PATH.test(p) || !p.endsWith('/') || p === '/') fail(`immutablePaths[${i}]`, p, "a path prefix starting and ending with '/' such as '/assets/' (not '/')");
  });
  if (new Set(immutable).size !== immutable.length) fail('immutablePaths', immutable, 'each prefix once');
  if (immutable.some((p) => health.startsWith(p))) fail('healthPath', health, `a path outside the immutable prefixes (${immutable.join(', ')})`);
  const maxAge = o.defaultMaxAgeSeconds ?? 3600;
  if (!Number.isInteger(maxAge) || maxAge < 0) fail('defaultMaxAgeSeconds', maxAge, 'an integer >= 0');
  const tmp = o.tempDir ?? '/tmp';
  if (!ABSOLUTE_DIR.test(tmp) || tmp.includes('..') || (tmp.endsWith('/') && tmp !== '/')) fail('tempDir', tmp, "an absolute directory such as '/tmp' (no trailing '/')");
  const workers = o.workerProcesses ?? 2;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail('workerProcesses', workers, 'an integer between 1 and 64');
  const mime = o.mimeTypesPath ?? '/etc/nginx/mime.types';
  if (!ABSOLUTE_DIR.test(mime)) fail('mimeTypesPath', mime, "an absolute file path such as '/etc/nginx/mime.types'");
  const spa = o.spaFallback ?? true;

  const noCache = 'add_header Cache-Control "no-cache, no-store, must-revalidate" always;';
  const lines = [
    '# nginx.conf rendered by lib/static-site-config.ts (renderStaticSiteConfig); do not edit by hand.',
    '# Unprivileged, read-only root filesystem: pid and temp files in ' + tmp + ', logs to stdout/stderr.',
    `worker_processes ${workers};`,
    `pid ${tmp}/nginx.pid;`,
    'error_log stderr warn;',
    '',
    'events {',
    '    worker_connections 1024;',
    '}',
    '',
    'http {',
    `    include ${mime};`,
    '    default_type application/octet-stream;',
    `    client_body_temp_path ${tmp}/client_temp;`,
    `    proxy_temp_path ${tmp}/proxy_temp;`,
    `    fastcgi_temp_path ${tmp}/fastcgi_temp;`,
    `    uwsgi_temp_path ${tmp}/uwsgi_temp;`,
    `    scgi_temp_path ${tmp}/scgi_temp;`,
    '',
    '    log_format main \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent \'',
    '                    \'"$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time\';',
    '    access_log /dev/stdout main;',
    '',
    '    sendfile on;',
    '    tcp_nopush on;',
    '    keepalive_timeout 65;',
    '    server_tokens off;',
    '    absolute_redirect off;',
    '',
    '    gzip on;',
    '    gzip_static on;',
    '    gzip_vary on;',
    '    gzip_proxied any;',
    '    gzip_comp_level 6;',
    '    gzip_min_length 256;',
    `    gzip_types ${STATIC_SITE_GZIP_TYPES.join(' ')};`,
    '',
    '    server {',
    `        listen ${o.port};`,
    '        server_name _;',
    `        root ${root};`,
    '        index index.html;',
    '',
    `        location = ${health} {`,
    '            access_log off;',
    '            default_type application/json;',
    `            ${noCache}`,
    '            return 200 \'{"status":"UP"}\';',
    '        }',
    '',
    '        # Never serve dotfiles (.env, .git, ...).',
    '        location ~ /\\.(?!well-known/) {',
    '            return 404;',
    '        }',
    '',
    '        # The entry point is never cached: a new release is picked up on the next load.',
    '        location = /index.html {',
    `            ${noCache}`,
    '        }',
    '',
    ...immutable.flatMap((p) => [
      `        # Content-hashed build output: cached for a year; a missing file is a 404, never index.html.`,
      `        location ^~ ${p} {`,
      '            access_log off;',
      '            add_header Cache-Control "public, max-age=31536000, immutable" always;',
      '            try_files $uri =404;',
      '        }',
      '',
    ]),
    '        location / {',
    `            add_header Cache-Control "public, max-age=${maxAge}" always;`,
    spa ? '            # SPA fallback: client-side routes are served by index.html (not cached, see above).' : '            # No SPA fallback: unknown paths are 404.',
    spa ? '            try_files $uri $uri/ /index.html;' : '            try_files $uri $uri/ =404;',
    '        }',
    '    }',
    '}',
  ];
  return lines.join('\n') + '\n';
}
