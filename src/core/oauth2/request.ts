/**
 * The plain request object every protocol step builds (as in panva's oauth4webapi): what goes on
 * the wire, and nothing sent yet, so a builder is unit-testable without a server. It is an
 * HttpRequest: `http.request(req)` sends it.
 */
import type { HttpRequest } from '../http.js';

export interface OAuthRequest extends HttpRequest {
  headers: Record<string, string>;
  what: string;
}

/** A form POST: `form` is a URLSearchParams so that a name may repeat (RFC 8707 `resource`). */
export interface OAuthFormRequest extends OAuthRequest {
  method: 'POST';
  form: URLSearchParams;
}

/** Headers and form fields that authenticate the client at an endpoint (see clientAuthentication). */
export interface ClientAuthParts {
  headers: Record<string, string>;
  form: Record<string, string>;
}

/** A form POST with the client's authentication merged in; fields without a value are left out. */
export function formPost(
  url: string,
  auth: ClientAuthParts,
  fields: Array<[string, string | undefined]>,
  what: string,
): OAuthFormRequest {
  const form = new URLSearchParams();
  for (const [name, value] of fields) if (value !== undefined && value !== '') form.append(name, value);
  for (const [name, value] of Object.entries(auth.form)) form.set(name, value);
  const req: OAuthFormRequest = { method: 'POST', url, headers: { ...auth.headers }, form, what };
  // A client assertion is single use (its jti, RFC 7523 §3): resent after a dropped connection it
  // may be refused as a replay. Sent again only after an answer saying it was not processed.
  if (auth.form.client_assertion) req.retry = 'unprocessed';
  return req;
}
