import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './state.js';

/** One request as a route handler sees it. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  /** Path below the provider's prefix. */
  path: string;
  /** Regex groups of the matched route path. */
  params: string[];
  /** Parsed body: form fields or JSON (raw text when neither). */
  body: Record<string, unknown>;
  rawBody: string;
  state: EmulatorState;
  provider: string;
  /** Base URL of this provider on the emulator (for links, redirects). */
  base: string;
  status: number;
  /** Whose request this was (the client id, or the UWS username of a login): per-account counts. */
  account?: string;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  html(status: number, html: string): void;
  text(status: number, text: string, contentType?: string): void;
  /** Basic credentials from a header (`authorization` by default). */
  basic(header?: string): { id: string; secret: string } | undefined;
  bearer(): string | undefined;
}

export interface Route {
  method: string;
  /** Path below the provider prefix; a RegExp's groups become ctx.params. */
  path: string | RegExp;
  /** Name used for counts and faults ("token", "revoke", "login", ...). */
  name: string;
  handler(ctx: Ctx): void | Promise<void>;
}

/** A provider played by the emulator: its routes under one path prefix. */
export interface EmulatedProvider {
  id: string;
  /** Path prefix on the emulator; the provider's base URL is emulator URL + prefix. */
  prefix: string;
  routes: Route[];
  /** Lines printed at start (demo ids, ...). */
  describe?(base: string): string[];
}

export function parseBasic(value: string | string[] | undefined): { id: string; secret: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

export function parseBearer(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1];
}

/** The HTML 400 page ThingSpace core answers instead of JSON (seed notes). */
export const HTML_ERROR_PAGE = `<!DOCTYPE html>
<html><head><title>400 Bad Request</title></head>
<body><h1>Bad Request</h1><p>Your browser sent a request that this server could not understand.</p></body></html>
`;
