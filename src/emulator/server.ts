import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { constants as zlibConstants, gzipSync } from 'node:zlib';
import { HTML_ERROR_PAGE, parseBasic, parseBearer, type Ctx, type EmulatedProvider } from './http.js';
import { PROVIDERS } from './providers/index.js';
import { DEMO, EmulatorState, type Fault } from './state.js';

export interface EmulatorOptions {
  /** 0 (default) lets the OS choose. */
  port?: number;
  host?: string;
  /** Extra providers (tests); the built-in ones are always there. */
  providers?: EmulatedProvider[];
  /**
   * Serve HTTPS with this key and certificate (PEM) instead of HTTP. With `requestCert`, clients
   * must present a certificate issued by `ca` (mutual TLS).
   */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
}

export interface Emulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  state: EmulatorState;
  /** Base URL of a provider on the emulator, e.g. baseUrl("thingspace"). */
  baseUrl(provider: string): string;
  /** Adds a fault (see Fault). */
  fault(f: Fault): void;
  /** Requests seen by provider (and route). */
  count(provider: string, route?: string): number;
  reset(): void;
  close(): Promise<void>;
}

const CONTROL = '/_emulator';
const MAX_BODY = 1024 * 1024;

/**
 * Starts the provider emulator: a real HTTP server on 127.0.0.1 answering the
 * calls in docs/providers.md, one path prefix per provider, plus a control API under
 * /_emulator (stats, reset, faults, settings).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const state = new EmulatorState();
  const providers = [...PROVIDERS, ...(options.providers ?? [])];
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<import('node:net').Socket>();
  let url = '';

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'server_error', error_description: String(err?.message ?? err) }));
      } else {
        res.destroy();
      }
    });
  };
  const server = options.tls
    ? https.createServer({ ...options.tls, rejectUnauthorized: options.tls.requestCert === true }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A request still running when the state is reset (a slow answer to a client that gave up)
    // must not count in what comes after the reset.
    const generation = state.generation;
    const record = (ctx: Ctx, route: string) => {
      if (state.generation !== generation) return;
      state.record({ at: Date.now(), provider: ctx.provider, route, method: ctx.method, path: ctx.path, status: ctx.status, account: ctx.account });
    };
    const reqUrl = new URL(req.url ?? '/', url);
    const rawBody = await readBody(req);
    if (reqUrl.pathname.startsWith(CONTROL)) return control(req, res, reqUrl, rawBody);

    const provider = providers.find((p) => reqUrl.pathname === p.prefix || reqUrl.pathname.startsWith(`${p.prefix}/`));
    if (!provider) return sendJson(res, 404, { error: 'not_found', error_description: 'no such provider path' });
    const path = reqUrl.pathname.slice(provider.prefix.length) || '/';
    let params: string[] = [];
    const route = provider.routes.find((r) => {
      if (r.method !== req.method) return false;
      if (typeof r.path === 'string') return r.path === path;
      const m = r.path.exec(path);
      if (m) params = m.slice(1).map((s) => decodeURIComponent(s));
      return Boolean(m);
    });
    const ctx = makeCtx(req, res, reqUrl, path, params, rawBody, provider);
    if (!route) {
      ctx.json(404, { error: 'not_found', error_description: `no route ${req.method} ${path}` });
      record(ctx, '404');
      return;
    }
    const fault = state.takeFault(provider.id, route.name);
    if (fault && (await applyFault(ctx, fault))) {
      record(ctx, route.name);
      return;
    }
    await route.handler(ctx);
    record(ctx, route.name);
  }

  function makeCtx(
    req: IncomingMessage,
    res: ServerResponse,
    reqUrl: URL,
    path: string,
    params: string[],
    rawBody: string,
    provider: EmulatedProvider,
  ): Ctx {
    const ctx: Ctx = {
      req,
      res,
      url: reqUrl,
      method: req.method ?? 'GET',
      path,
      params,
      body: parseRequestBody(req, rawBody),
      rawBody,
      state,
      provider: provider.id,
      base: `${url}${provider.prefix}`,
      status: 0,
      json(status, body, headers = {}) {
        ctx.status = status;
        sendJson(res, status, body, headers);
      },
      html(status, html) {
        ctx.status = status;
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      },
      text(status, text, contentType = 'text/plain') {
        ctx.status = status;
        res.writeHead(status, { 'content-type': contentType });
        res.end(text);
      },
      basic: (header = 'authorization') => parseBasic(req.headers[header]),
      bearer: () => parseBearer(req.headers.authorization),
    };
    return ctx;
  }

  /** Applies a fault; true when it answered (the handler must not run). */
  async function applyFault(ctx: Ctx, f: Fault): Promise<boolean> {
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.drop) {
      ctx.status = -1;
      ctx.req.socket.destroy();
      return true;
    }
    const headers: Record<string, string> = { ...f.headers };
    if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
    if (f.hugeBody !== undefined) {
      ctx.status = f.status ?? 200;
      ctx.res.writeHead(ctx.status, { 'content-type': 'application/json', ...headers });
      await streamBody(ctx.res, f.hugeBody);
      return true;
    }
    if (f.gzipBomb !== undefined) {
      ctx.status = f.status ?? 200;
      const body = gzipBomb(f.gzipBomb);
      ctx.res.writeHead(ctx.status, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(body.length),
        ...headers,
      });
      ctx.res.end(body);
      return true;
    }
    if (f.html) {
      ctx.status = f.status ?? 400;
      ctx.res.writeHead(ctx.status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      ctx.res.end(HTML_ERROR_PAGE);
      return true;
    }
    if (f.invalidJson) {
      ctx.status = f.status ?? 200;
      ctx.res.writeHead(ctx.status, { 'content-type': 'application/json', ...headers });
      ctx.res.end('{"access_token": "trunc');
      return true;
    }
    if (f.emptyBody) {
      ctx.status = f.status ?? 200;
      ctx.res.writeHead(ctx.status, headers);
      ctx.res.end();
      return true;
    }
    if (f.status !== undefined) {
      const body = f.body ?? defaultErrorBody(f.status);
      ctx.json(f.status, body, headers);
      return true;
    }
    if (f.body !== undefined) {
      ctx.json(200, f.body, headers);
      return true;
    }
    return false; // a pure delay: answer normally
  }

  async function control(req: IncomingMessage, res: ServerResponse, reqUrl: URL, raw: string): Promise<void> {
    const path = reqUrl.pathname.slice(CONTROL.length);
    const body = raw ? safeJson(raw) : {};
    if (req.method === 'GET' && path === '/stats') {
      return sendJson(res, 200, {
        counts: Object.fromEntries(state.counts),
        // "provider route status account": requests per account (client id, or UWS username for logins).
        accounts: Object.fromEntries(state.accountCounts),
        tokens: state.tokens.size,
        faults: state.faults,
        settings: state.settings,
      });
    }
    if (req.method === 'GET' && path === '/log') return sendJson(res, 200, state.log);
    if (req.method === 'POST' && path === '/reset') {
      state.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'POST' && path === '/faults') {
      const list = Array.isArray(body) ? body : [body];
      for (const f of list) state.addFault(f as Fault);
      return sendJson(res, 200, { faults: state.faults });
    }
    if (req.method === 'DELETE' && path === '/faults') {
      state.faults = [];
      return sendJson(res, 200, { faults: [] });
    }
    if (req.method === 'POST' && path === '/settings') {
      Object.assign(state.settings, body);
      return sendJson(res, 200, state.settings);
    }
    if (req.method === 'POST' && path === '/expire-tokens') {
      const provider = typeof (body as { provider?: unknown }).provider === 'string' ? (body as { provider: string }).provider : undefined;
      return sendJson(res, 200, { expired: state.expireTokens(provider) });
    }
    // Provider modules may add control calls of their own.
    for (const p of providers) {
      for (const r of p.routes) {
        if (r.method !== req.method || typeof r.path !== 'string' || !r.name.startsWith('control:')) continue;
        if (path === `/${p.id}${r.path}`) {
          const ctx = makeCtx(req, res, reqUrl, r.path, [], raw, p);
          return r.handler(ctx);
        }
      }
    }
    return sendJson(res, 404, { error: 'not_found' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;

  return {
    url,
    port,
    state,
    baseUrl: (id) => {
      const p = providers.find((x) => x.id === id);
      if (!p) throw new Error(`no emulated provider ${id}`);
      return `${url}${p.prefix}`;
    },
    fault: (f) => state.addFault(f),
    count: (p, r) => state.count(p, r),
    reset: () => state.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/**
 * Writes `bytes` bytes of a JSON-looking text (`{"a":"xxx…`) in 64 KiB chunks, waiting for the
 * socket to drain, and stops when the client goes away: the emulator never holds the body.
 */
async function streamBody(res: ServerResponse, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = bytes;
  const head = Buffer.from('{"a":"');
  res.write(head);
  left -= head.length;
  while (left > 0 && !res.destroyed) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

const bombs = new Map<number, Buffer>();

/** gzip of `bytes` zeros, compressed once per size, written 1 MiB at a time (never `bytes` in memory). */
function gzipBomb(bytes: number): Buffer {
  let body = bombs.get(bytes);
  if (!body) {
    const zeros = Buffer.alloc(Math.min(bytes, 1024 * 1024));
    const parts: Buffer[] = [];
    // One gzip member per MiB, repeated: RFC 1952 §2.2 lets a gzip file be a series of members,
    // and zlib (so got's decompression) inflates them as one body.
    const member = gzipSync(zeros, { level: zlibConstants.Z_BEST_COMPRESSION });
    const whole = Math.floor(bytes / zeros.length);
    for (let i = 0; i < whole; i++) parts.push(member);
    const rest = bytes - whole * zeros.length;
    if (rest > 0) parts.push(gzipSync(zeros.subarray(0, rest)));
    body = Buffer.concat(parts);
    bombs.set(bytes, body);
  }
  return body;
}

/** Default body of an injected error status, in the OAuth shape. */
function defaultErrorBody(status: number): unknown {
  if (status === 429) return { error: 'too_many_requests', error_description: 'rate limit exceeded' };
  if (status === 401) return { error: 'invalid_token', error_description: 'the access token is invalid' };
  if (status >= 500) return { error: 'server_error', error_description: `emulated HTTP ${status}` };
  return { error: 'invalid_request', error_description: `emulated HTTP ${status}` };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRequestBody(req: IncomingMessage, raw: string): Record<string, unknown> {
  if (!raw) return {};
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  if (type.includes('json')) {
    const parsed = safeJson(raw);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { _invalid: true };
  }
  return { _raw: raw };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return { _invalid: true };
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export { DEMO };
