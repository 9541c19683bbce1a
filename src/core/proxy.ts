/**
 * Which proxy (if any) a request goes through: the http proxy config node's
 * URL and no-proxy list when one is selected, else HTTP_PROXY / HTTPS_PROXY /
 * NO_PROXY from the environment (either case), as curl and Node-RED's own
 * http request node read them.
 */

import { BlockList, isIP } from 'node:net';

export interface ProxySettings {
  /** http://[user:pass@]host:port of the proxy; when set, the environment is not consulted. */
  url?: string;
  /**
   * Hosts reached directly: "example.com" (and its subdomains), ".example.com", "*.example.com",
   * "10.0.0.1", "10.0.0.0/8", "fd00::/8", "::1", "[::1]:8443", "10.0.0.1-10.0.0.9", "host:8443", "*".
   */
  noProxy?: string[];
}

function env(name: string, source: NodeJS.ProcessEnv): string | undefined {
  const v = source[name.toLowerCase()] ?? source[name.toUpperCase()];
  return v && v.trim() !== '' ? v.trim() : undefined;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** One no-proxy entry, parsed: a name (suffix match), an IP block, or everything. */
type Entry = { all: true } | { name: string; port?: string } | { ips: BlockList; port?: string };

/**
 * Parses a no-proxy entry the way curl (CURLOPT_NOPROXY: names match themselves and their
 * subdomains, a leading dot is ignored, `*` alone matches all, IPv6 without brackets, CIDR
 * since 7.86) and Node.js (`*.example.com`, `host:port`, `a.b.c.d-e.f.g.h` ranges; see
 * https://nodejs.org/api/http.html "NO_PROXY Format") read it; also `[v6]` and `[v6]:port`.
 */
function parseEntry(raw: string): Entry | undefined {
  let entry = raw.trim().toLowerCase();
  if (!entry) return undefined;
  if (entry === '*') return { all: true };
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?(\/\d+)?$/.exec(entry);
  if (bracketed) {
    entry = bracketed[1]! + (bracketed[3] ?? '');
    port = bracketed[2];
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    // One colon: host:port (an IPv6 address has at least two).
    const m = /^(.*):(\d+)$/.exec(entry);
    if (!m) return undefined;
    entry = m[1]!;
    port = m[2];
  }
  const ips = ipBlock(entry);
  if (ips) return { ips, port };
  const name = entry.replace(/^\*?\./, '');
  return name ? { name, port } : undefined;
}

/** An address, a CIDR block (`10.0.0.0/8`, `fd00::/8`) or a range (`10.0.0.1-10.0.0.9`) as a BlockList; else undefined. */
function ipBlock(entry: string): BlockList | undefined {
  const list = new BlockList();
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const bits = Number(cidr[2]);
    if (!family || bits > (family === 4 ? 32 : 128)) return undefined;
    list.addSubnet(cidr[1]!, bits, family === 4 ? 'ipv4' : 'ipv6');
    return list;
  }
  const range = /^([^-]+)-([^-]+)$/.exec(entry);
  if (range && isIP(range[1]!) && isIP(range[1]!) === isIP(range[2]!)) {
    list.addRange(range[1]!, range[2]!, isIP(range[1]!) === 4 ? 'ipv4' : 'ipv6');
    return list;
  }
  const family = isIP(entry);
  if (!family) return undefined;
  list.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

/** Whether `target` matches one no-proxy entry. */
function bypassed(target: URL, entries: string[]): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const port = target.port || defaultPort(target.protocol);
  const family = isIP(host);
  for (const raw of entries) {
    const entry = parseEntry(raw);
    if (!entry) continue;
    if ('all' in entry) return true;
    if (entry.port && entry.port !== port) continue;
    if ('ips' in entry) {
      if (family && entry.ips.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
    } else if (host === entry.name || (!family && host.endsWith(`.${entry.name}`))) {
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
  // curl splits on commas and, since 7.86, on spaces too.
  const noProxy = env('no_proxy', source)?.split(/[\s,]+/) ?? [];
  return bypassed(url, noProxy) ? undefined : proxy;
}
