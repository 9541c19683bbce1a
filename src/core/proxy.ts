/**
 * Which proxy (if any) a request goes through: the http proxy config node's
 * URL and no-proxy list when one is selected, else HTTP_PROXY / HTTPS_PROXY /
 * NO_PROXY from the environment (either case), as curl and Node-RED's own
 * http request node read them.
 */

export interface ProxySettings {
  /** http://[user:pass@]host:port of the proxy; when set, the environment is not consulted. */
  url?: string;
  /** Hosts reached directly: "example.com" (and its subdomains), ".example.com", "10.0.0.1", "host:8443", "*". */
  noProxy?: string[];
}

function env(name: string, source: NodeJS.ProcessEnv): string | undefined {
  const v = source[name.toLowerCase()] ?? source[name.toUpperCase()];
  return v && v.trim() !== '' ? v.trim() : undefined;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** Whether `target` matches one no-proxy entry. */
function bypassed(target: URL, entries: string[]): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || defaultPort(target.protocol);
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\]/, '$1'))!;
    const name = m[1].replace(/^\*?\./, '.');
    if (m[2] && m[2] !== port) continue;
    if (name.startsWith('.')) {
      if (host.endsWith(name) || host === name.slice(1)) return true;
    } else if (host === name || host.endsWith(`.${name}`)) {
      return true;
    }
  }
  return false;
}

/** The proxy URL for `target`, or undefined to connect directly. */
export function proxyFor(target: string | URL, settings: ProxySettings = {}, source: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (settings.url) {
    return bypassed(url, settings.noProxy ?? []) ? undefined : settings.url;
  }
  const proxy = url.protocol === 'https:' ? (env('https_proxy', source) ?? env('http_proxy', source)) : env('http_proxy', source);
  if (!proxy) return undefined;
  const noProxy = env('no_proxy', source)?.split(',') ?? [];
  return bypassed(url, noProxy) ? undefined : proxy;
}
