import http from 'node:http';
import https from 'node:https';
import type { ExtendOptions, Got, Response } from 'got';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { M2MError, providerCode, isCodeLike } from './errors.js';
import { proxyFor, type ProxySettings } from './proxy.js';
import { addSecret, forgetSecret, providerText } from './redact.js';

/** TLS material from Node-RED's tls-config node (or any source). */
export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  pfx?: string | Buffer;
  /** false only when the user unticks "verify server certificate". */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface HttpClientOptions {
  /** Provider id used in errors (`thingspace`, `oauth2`, ...). */
  provider: string;
  /** Whole-request timeout in ms. */
  timeout?: number;
  /** Retries of a safe request (429, 502/503/504, connection reset). */
  retryLimit?: number;
  /** Upper bound of the exponential backoff between retries, ms. */
  backoffLimit?: number;
  /** Longest Retry-After we wait for, ms; a longer one fails the request at once. */
  maxRetryAfter?: number;
  tls?: TlsOptions;
  /** A proxy node's settings; without one, HTTP(S)_PROXY / NO_PROXY from the environment. */
  proxy?: ProxySettings;
  /** Environment to read proxy variables from (tests). */
  env?: NodeJS.ProcessEnv;
  /** Told when a request (all its retries and pages) ended, by its `what`: the account's health counts. */
  onRequest?: (what: string, outcome: 'ok' | 'failed', error?: M2MError) => void;
  /**
   * Most bytes of one response body, counted after decompression (a gzip bomb counts as what
   * it inflates to) and enforced while reading: a bigger answer fails `response_too_large`.
   */
  maxResponseBytes?: number;
}

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** A URLSearchParams body may repeat a name (RFC 8707 `resource`). */
  form?: Record<string, string> | URLSearchParams;
  json?: unknown;
  searchParams?: Record<string, string | number>;
  /**
   * Whether the request may be sent again. true (default): after a 429/502/503/504 or a
   * dropped connection. 'unprocessed': only after an answer saying it was not processed
   * (429, 503), for requests that spend something (a rotating refresh token: a retry after
   * a dropped connection could send a token the provider already replaced). false: never
   * (an M2M login: five failed logins lock the account).
   */
  retry?: boolean | 'unprocessed';
  /** Short name of the call for messages: "token request", "device read". */
  what?: string;
  /** This request's whole-request timeout, ms (default: the client's); got's own, so the socket is freed too. */
  timeout?: number;
  /**
   * The status is the whole answer (RFC 7009 §2.2: the client ignores a revocation's body):
   * a 2xx body is not parsed, and `body` is {}.
   */
  ignoreBody?: boolean;
  /**
   * The request may outlive `close()` (the M2M logout a redeploy sends): it is not cancelled,
   * and once the client is closed it goes on a connection of its own that closes after it.
   */
  survivesClose?: boolean;
}

/**
 * A request whose answer comes in pages (see HttpClient.paginate): a GET whose pages
 * differ in their query (Insights Hub tenants), or a POST whose pages differ in their
 * JSON body (the ThingSpace M2M device list's cursor).
 */
export interface HttpPagesRequest<T> {
  url: string;
  /** GET (default): `params` are the query; POST: the JSON body. */
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Parameters of the first page. */
  searchParams: Record<string, string | number>;
  what?: string;
  /** The items of one page's parsed body; throws an M2MError when the body has the wrong shape. */
  items(body: unknown): T[];
  /** Parameters of the page after this one, or false when this page was the last. */
  next(body: unknown, items: T[]): Record<string, string | number> | false;
  /** Most pages to follow; a provider still saying "more" after that is an error, not an endless loop. */
  maxPages?: number;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export const DEFAULT_TIMEOUT = 30_000;
/** 1 MiB: a token, a device record or a 100-tenant page is a few KB; nothing a provider must send comes near it. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const RETRY_STATUS = [429, 502, 503, 504];
const RETRY_ERRORS = ['ECONNRESET', 'EPIPE', 'ECONNABORTED'];

type GotModule = typeof import('got');
let gotModule: Promise<GotModule> | undefined;

/**
 * got is an ES module. Loading it with import() (once, on first use) keeps this
 * CommonJS package working on every Node 22, including releases before require(esm).
 */
function loadGot(): Promise<GotModule> {
  gotModule ??= import('got');
  return gotModule;
}

/**
 * The HTTP client every provider module uses. Built on got: its retry (with
 * Retry-After), timeout and agent options do the work. Redirects are never
 * followed: every call carries a credential, and a redirect could hand it to
 * another host. Every failure becomes an M2MError.
 */
export class HttpClient {
  readonly provider: string;
  private readonly got: Promise<{ got: Got; module: GotModule }>;
  private readonly direct: Agents;
  /** Keep-alive agents per proxy URL, made on first use. */
  private readonly proxied = new Map<string, Agents>();
  /** The proxy (or none) decided per origin. */
  private readonly proxyByOrigin = new Map<string, string | undefined>();
  private readonly proxy: ProxySettings;
  private readonly env: NodeJS.ProcessEnv;
  /** Requests on the wire, cancelled by close(): no retry, no socket or timer outlives the client. */
  private readonly inflight = new Set<AbortController>();
  private closed = false;
  private readonly onRequest: HttpClientOptions['onRequest'];
  readonly maxResponseBytes: number;

  constructor(options: HttpClientOptions) {
    this.provider = options.provider;
    this.onRequest = options.onRequest;
    this.proxy = options.proxy ?? {};
    this.env = options.env ?? process.env;
    this.direct = {
      http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    };
    if (this.proxy.url) addSecret(new URL(this.proxy.url).password || undefined);
    const limit = options.maxResponseBytes;
    this.maxResponseBytes = limit && limit > 0 ? limit : DEFAULT_MAX_RESPONSE_BYTES;
    const tls = options.tls ?? {};
    const defaults: ExtendOptions = {
      timeout: { request: options.timeout ?? DEFAULT_TIMEOUT },
      followRedirect: false,
      throwHttpErrors: true,
      responseType: 'text',
      https: {
        certificateAuthority: tls.ca,
        certificate: tls.cert,
        key: tls.key,
        passphrase: tls.passphrase,
        pfx: tls.pfx,
        rejectUnauthorized: tls.rejectUnauthorized !== false,
        ...(tls.servername ? { servername: tls.servername } : {}),
      },
      retry: {
        limit: options.retryLimit ?? 2,
        methods: ['GET', 'POST', 'PUT', 'DELETE'],
        statusCodes: RETRY_STATUS,
        errorCodes: RETRY_ERRORS,
        backoffLimit: options.backoffLimit ?? 4_000,
        noise: 100,
        maxRetryAfter: options.maxRetryAfter ?? 60_000,
      },
      headers: { 'user-agent': 'node-red-m2m-auth', accept: 'application/json' },
      handlers: [(opts, next) => this.limitBody(opts, next) as ReturnType<typeof next>],
    };
    this.got = loadGot().then((module) => ({ module, got: module.default.extend(defaults) }));
  }

  /** Sends a request and returns the parsed JSON body (or {} for an empty body). */
  async request<T = Record<string, unknown>>(req: HttpRequest): Promise<HttpResponse<T>> {
    const { got, module } = await this.got;
    const abort = this.track(req);
    let response: Response<string>;
    try {
      response = await got(req.url, {
        method: req.method,
        // got's `form` takes a plain object only; a URLSearchParams goes as the encoded body.
        ...(req.form instanceof URLSearchParams
          ? { headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: req.form.toString() }
          : { headers: req.headers, form: req.form }),
        json: req.json as Record<string, unknown> | undefined,
        searchParams: req.searchParams,
        // The client's retry defaults apply unless the request says otherwise (got merges a
        // per-request retry object on every call, which costs measurably on a hot path).
        ...(req.retry === undefined || req.retry === true ? {} : { retry: retryFor(req.retry) }),
        ...(req.timeout === undefined ? {} : { timeout: { request: req.timeout } }),
        agent: this.agentsFor(req.url),
        signal: abort?.signal,
      });
    } catch (e) {
      const err = abort?.signal.aborted ? this.closedError(req) : this.toError(e, req, module);
      this.onRequest?.(this.what(req), 'failed', err);
      throw err;
    } finally {
      if (abort) this.inflight.delete(abort);
    }
    try {
      if (response.statusCode >= 300) throw redirected(response, this.provider, this.what(req));
      // The progress check fires per chunk read; a body that arrived whole is checked here.
      if ((response.body?.length ?? 0) > this.maxResponseBytes) throw this.tooLarge(this.maxResponseBytes);
      const body = req.ignoreBody ? ({} as T) : parseBody<T>(response, this.provider, this.what(req));
      this.onRequest?.(this.what(req), 'ok');
      return { status: response.statusCode, headers: response.headers, body };
    } catch (e) {
      this.onRequest?.(this.what(req), 'failed', e as M2MError);
      throw e;
    }
  }

  /**
   * got has no body size limit: every request (each retry, each page) gets an abort signal of
   * its own, fired from got's downloadProgress event (which counts the decompressed bytes read,
   * and carries the announced Content-Length as `total`) once the body passes the limit. The
   * reason travels as the AbortError's cause (see toError).
   */
  private limitBody(opts: Parameters<NonNullable<ExtendOptions['handlers']>[number]>[0], next: (o: typeof opts) => unknown): unknown {
    const max = this.maxResponseBytes;
    const limit = new AbortController();
    opts.signal = opts.signal ? AbortSignal.any([opts.signal as AbortSignal, limit.signal]) : limit.signal;
    const result = next(opts) as { on?: (event: string, fn: (p: { transferred: number; total?: number }) => void) => void };
    result.on?.('downloadProgress', ({ transferred, total }) => {
      if (limit.signal.aborted || (transferred <= max && (total ?? 0) <= max)) return;
      limit.abort(this.tooLarge(max));
    });
    return result;
  }

  private tooLarge(max: number): M2MError {
    return new M2MError(
      'response_too_large',
      `${this.provider} sent a response larger than ${max} bytes; the answer was dropped (maxResponseBytes)`,
      { provider: this.provider },
    );
  }

  /** Registers a request to cancel on close; throws `closed` for one that must not start after it. */
  private track(req: HttpRequest | HttpPagesRequest<unknown>): AbortController | undefined {
    if ((req as HttpRequest).survivesClose) return undefined;
    if (this.closed) throw this.closedError(req);
    const abort = new AbortController();
    this.inflight.add(abort);
    return abort;
  }

  private closedError(req: { what?: string }): M2MError {
    return new M2MError('closed', `${this.what(req)} to ${this.provider} cancelled: the provider node was stopped`, {
      provider: this.provider,
    });
  }

  /** The agents for a URL: direct, or through the proxy that applies to it. */
  private agentsFor(url: string): Agents {
    let proxyUrl: string | undefined;
    // Which proxy serves an origin does not change while the client lives: decide once per origin.
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url)?.[0];
    if (origin !== undefined && this.proxyByOrigin.has(origin)) {
      proxyUrl = this.proxyByOrigin.get(origin);
    } else {
      try {
        proxyUrl = proxyFor(url, this.proxy, this.env);
      } catch {
        return this.direct; // not a URL: got reports it
      }
      if (origin !== undefined && this.proxyByOrigin.size < 1000) this.proxyByOrigin.set(origin, proxyUrl);
    }
    if (this.closed) {
      // The pooled agents are gone: a connection of its own, closed once the answer is in.
      if (!proxyUrl) return { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };
      const options = { keepAlive: false, proxy: proxyUrl };
      return { http: new HttpProxyAgent(options), https: new HttpsProxyAgent(options) };
    }
    if (!proxyUrl) return this.direct;
    let agents = this.proxied.get(proxyUrl);
    if (!agents) {
      const options = { keepAlive: true, maxSockets: 64, proxy: proxyUrl };
      agents = { http: new HttpProxyAgent(options), https: new HttpsProxyAgent(options) };
      this.proxied.set(proxyUrl, agents);
      addSecret(new URL(proxyUrl).password || undefined);
    }
    return agents;
  }

  /**
   * Follows every page of a GET with got's pagination (same retry, timeout and
   * error mapping as `request`), yielding each page's items as the page arrives:
   * only one page's body is held at a time.
   */
  async *paginate<T>(req: HttpPagesRequest<T>): AsyncGenerator<T, void, undefined> {
    const what = this.what(req);
    const maxPages = req.maxPages ?? 10_000;
    let body: unknown;
    let pages = 0;
    const { got, module } = await this.got;
    const abort = this.track(req);
    const post = req.method === 'POST';
    const items = got.paginate<T, string>(req.url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      ...(post ? { json: req.searchParams } : { searchParams: req.searchParams }),
      agent: this.agentsFor(req.url),
      signal: abort?.signal,
      pagination: {
        transform: (response) => {
          if (response.statusCode >= 300) throw redirected(response, this.provider, what);
          if ((response.body?.length ?? 0) > this.maxResponseBytes) throw this.tooLarge(this.maxResponseBytes);
          body = parseBody(response, this.provider, what);
          pages++;
          return req.items(body);
        },
        paginate: ({ currentItems }) => {
          const next = req.next(body, currentItems);
          if (next === false) return false;
          if (pages >= maxPages) {
            throw new M2MError('too_many_pages', `${what}: ${this.provider} still had more after ${maxPages} pages`, {
              provider: this.provider,
            });
          }
          return post ? { json: next } : { searchParams: next };
        },
        requestLimit: Number.MAX_SAFE_INTEGER,
      },
    });
    try {
      yield* items;
      this.onRequest?.(what, 'ok');
    } catch (e) {
      const err = abort?.signal.aborted ? this.closedError(req) : this.toError(e, req, module);
      this.onRequest?.(what, 'failed', err);
      throw err;
    } finally {
      if (abort) this.inflight.delete(abort);
    }
  }

  /**
   * Config node close / redeploy: cancels the requests on the wire (they end in `closed`, are
   * not retried) and closes the pooled sockets. Only requests marked `survivesClose` still go.
   */
  close(): void {
    this.closed = true;
    for (const abort of this.inflight) abort.abort();
    this.inflight.clear();
    for (const agents of [this.direct, ...this.proxied.values()]) {
      agents.http.destroy();
      agents.https.destroy();
    }
    for (const proxyUrl of this.proxied.keys()) forgetSecret(new URL(proxyUrl).password || undefined);
    if (this.proxy.url) forgetSecret(new URL(this.proxy.url).password || undefined);
    this.proxied.clear();
  }

  private what(req: { what?: string }): string {
    return req.what ?? 'request';
  }

  private toError(e: unknown, req: { what?: string }, { HTTPError, RequestError }: GotModule): M2MError {
    const provider = this.provider;
    const what = this.what(req);
    // The body limit's abort (limitBody) names its reason.
    if ((e as { cause?: unknown })?.cause instanceof M2MError) return (e as { cause: M2MError }).cause;
    if (e instanceof HTTPError) {
      return errorFromResponse(e.response as Response<string>, provider, what);
    }
    if (e instanceof RequestError) {
      const code = e.code;
      if (e.name === 'TimeoutError' || code === 'ETIMEDOUT') {
        return new M2MError('timeout', `${what} to ${provider} timed out`, { provider });
      }
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
        return new M2MError('dns_failed', `${what}: the host of ${provider} could not be resolved (${code})`, {
          provider,
        });
      }
      if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code ?? '') || /certificate/i.test(e.message)) {
        return new M2MError('tls_failed', `${what}: TLS verification of ${provider} failed (${code ?? e.message})`, {
          provider,
        });
      }
      const proxyAnswer = /^Bad response: (\d{3})$/.exec(e.message);
      if (proxyAnswer) {
        // hpagent's message when the proxy answers CONNECT with anything but 200.
        const status = Number(proxyAnswer[1]);
        return new M2MError('proxy_failed', `${what}: the proxy refused to connect to ${provider} (HTTP ${status})`, {
          provider,
          status,
        });
      }
      if (code === 'ECONNREFUSED') {
        return new M2MError('connection_refused', `${what}: ${provider} refused the connection`, { provider });
      }
      if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
        return new M2MError('connection_reset', `${what}: the connection to ${provider} was dropped`, { provider });
      }
      return new M2MError('request_failed', `${what} to ${provider} failed: ${e.message}`, { provider });
    }
    if (e instanceof M2MError) return e;
    return new M2MError('request_failed', `${what} to ${provider} failed: ${(e as Error)?.message ?? e}`, {
      provider,
    });
  }
}

/** followRedirect is off, so a 3xx arrives as an answer: never chase it with credentials. */
function redirected(response: Response<string>, provider: string, what: string): M2MError {
  return new M2MError(
    `http_${response.statusCode}`,
    `${what} was redirected (HTTP ${response.statusCode}); redirects are not followed for requests that carry credentials`,
    { status: response.statusCode, provider },
  );
}

/** got's per-request retry options for HttpRequest.retry. */
function retryFor(retry: false | 'unprocessed'): NonNullable<ExtendOptions['retry']> {
  if (retry === false) return { limit: 0 };
  return { statusCodes: [429, 503], errorCodes: [] };
}

function contentType(response: Response<string>): string {
  return String(response.headers['content-type'] ?? '').toLowerCase();
}

function looksLikeHtml(response: Response<string>): boolean {
  return contentType(response).includes('html') || /^\s*<(!doctype|html|head|body)/i.test(response.body ?? '');
}

/** Largest error (non-2xx) body read for the provider's error fields. */
const ERROR_BODY_MAX = 64 * 1024;

/** How far into an HTML page its title or first heading is looked for (a page puts them near the top). */
const HTML_SCAN_MAX = 16 * 1024;

function htmlTitle(body: string): string | undefined {
  const head = body.slice(0, HTML_SCAN_MAX);
  const lower = head.toLowerCase();
  return elementText(head, lower, 'title') ?? elementText(head, lower, 'h1');
}

/**
 * The text of the first `<tag …>text</tag>` whose text is 1 to 120 characters without `<`, by
 * index scans that never look at a character twice per tag: the regex it replaces
 * (`<title[^>]*>…`) read to the end of the page from every `<title`, quadratic in a page of them.
 */
function elementText(body: string, lower: string, tag: string): string | undefined {
  const open = `<${tag}`;
  const close = `</${tag}>`;
  let gt = -1;
  for (let i = lower.indexOf(open); i !== -1; i = lower.indexOf(open, i + open.length)) {
    const after = lower[i + open.length];
    if (after !== '>' && !/\s/.test(after ?? '')) continue; // <titles>, not <title>
    if (gt < i) gt = lower.indexOf('>', i);
    if (gt === -1) return undefined; // no '>' after this one: none after any later one either
    const lt = lower.indexOf('<', gt + 1);
    if (lt === -1) return undefined;
    const text = body.slice(gt + 1, lt);
    if (text.length >= 1 && text.length <= 120 && lower.startsWith(close, lt)) return text.trim() || undefined;
  }
  return undefined;
}

/** Parses a 2xx body as JSON; anything else is a clear error, never a parse crash. */
function parseBody<T>(response: Response<string>, provider: string, what: string): T {
  const text = response.body ?? '';
  if (text.trim() === '') return {} as T;
  if (looksLikeHtml(response)) {
    throw new M2MError(
      'invalid_response',
      `${what}: ${provider} answered with an HTML page instead of JSON (HTTP ${response.statusCode})`,
      { status: response.statusCode, provider, error_description: htmlTitle(text) },
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new M2MError(
      'invalid_response',
      `${what}: ${provider} answered with a body that is not JSON (HTTP ${response.statusCode})`,
      { status: response.statusCode, provider },
    );
  }
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Seconds from a Retry-After header (delta-seconds or HTTP-date). */
export function retryAfterSeconds(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** The error and error_description of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3). */
function bearerChallenge(value: unknown): { error?: string; error_description?: string } {
  const text = Array.isArray(value) ? value.join(', ') : typeof value === 'string' ? value : '';
  if (!/^\s*Bearer\b/i.test(text)) return {};
  const param = (name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(text)?.[1] || undefined;
  return { error: param('error'), error_description: param('error_description') };
}

/** Builds the error for a non-2xx answer from whatever shape the provider used. */
export function errorFromResponse(response: Response<string>, provider: string, what: string): M2MError {
  const status = response.statusCode;
  const text = response.body ?? '';
  const retryAfter = retryAfterSeconds(response.headers['retry-after']);
  if (looksLikeHtml(response)) {
    const title = htmlTitle(text);
    return new M2MError(
      `http_${status}`,
      `${what}: ${provider} answered HTTP ${status} with an HTML page${title ? ` ("${title}")` : ''}`,
      { status, provider, error_description: title, retryAfter },
    );
  }
  let body: Record<string, unknown> | undefined;
  // An error body is a few hundred bytes; a bigger one is described by its status alone (parsing
  // 1 MiB of nested `{"error":` costs 70 ms, and none of it would be shown).
  if (text.trim() !== '' && text.length <= ERROR_BODY_MAX) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: described below by status alone.
    }
  }
  const first = Array.isArray(body?.errors) ? (body.errors[0] as Record<string, unknown> | undefined) : undefined;
  // RFC 6750 §3: a resource server may say why only in WWW-Authenticate: Bearer error="invalid_token".
  const challenge = bearerChallenge(response.headers['www-authenticate']);
  // Provider text is cut (about 1 KB) before it is redacted or shown: the cost of both stays
  // bounded whatever the provider sent (see providerText).
  const shown = (v: string | undefined) => (v === undefined ? undefined : providerText(v));
  const rawError = str(body?.error) ?? challenge.error;
  const errorDescription = shown(
    str(body?.error_description) ??
      str(body?.errorMessage) ??
      str(first?.message) ??
      str(body?.message) ??
      challenge.error_description,
  );
  const rawErrorCode = str(body?.errorCode) ?? str(first?.code);
  // Only what looks like a code becomes one (msg.error.code, the node status); anything else
  // is `provider_error`, its text in the message.
  const error = rawError === undefined ? undefined : isCodeLike(rawError) ? rawError : shown(rawError);
  const errorCode = rawErrorCode === undefined ? undefined : isCodeLike(rawErrorCode) ? rawErrorCode : shown(rawErrorCode);
  const code = rawError !== undefined ? providerCode(rawError) : status === 429 ? 'rate_limited' : `http_${status}`;
  const detail = [error, errorCode, errorDescription].filter(Boolean).join(': ');
  const message =
    `${what}: ${provider} answered HTTP ${status}` +
    (detail ? ` (${detail})` : body === undefined && text.trim() !== '' ? ' with a body that is not JSON' : '') +
    (retryAfter !== undefined ? `; retry after ${retryAfter} s` : '');
  return new M2MError(code, message, {
    status,
    provider,
    error,
    error_description: errorDescription,
    errorCode,
    retryAfter,
  });
}
