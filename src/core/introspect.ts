import { M2MError, providerCode } from './errors.js';
import type { ProviderClient } from './provider-client.js';
import type { TokenParams } from './providers/index.js';
import { rfc7662Introspection } from './oauth2/introspection.js';
import { providerText, redactDeep } from './redact.js';

type Raw = Record<string, unknown>;

/** The answer with every copy of the token value removed, then every secret-looking value masked. */
function withoutToken(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.includes(token) ? undefined : value;
  if (Array.isArray(value)) return value.map((v) => withoutToken(v, token)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value as Raw)) {
      const clean = withoutToken(v, token);
      if (clean !== undefined) out[k] = clean;
    }
    return out;
  }
  return value;
}

/**
 * What the provider knows of the current token (m2m-token "inspect"): the preset's
 * introspect capability builds the request (RFC 7662 by default, oauth2/introspection.ts;
 * ThingSpace core: its token info GET). Any preset works once a token info URL is set.
 * The answer never carries the token value. An answer with an OAuth `error` is thrown.
 */
export async function introspectToken(client: ProviderClient, params: TokenParams = {}): Promise<Raw> {
  await client.ready();
  const url = client.urls.introspectUrl;
  if (!url) {
    throw new M2MError(
      'not_supported',
      `${client.preset.label} has no token info endpoint; set "Token info URL" in the m2m-provider node if it has one`,
      { provider: client.id },
    );
  }
  const { token } = await client.getToken(params);
  // A token info URL set on a preset without its own kind of call: RFC 7662, the standard.
  const introspect = client.preset.introspect ?? rfc7662Introspection;
  if (introspect === rfc7662Introspection) client.requireClientCredentials();
  const { body } = await client.http.request<Raw>(await introspect.request(client.context(), url, token.accessToken));
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) {
    throw new M2MError('invalid_response', 'the token info answer is empty or not a JSON object', { provider: client.id });
  }
  if (typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? providerText(body.error_description) : undefined;
    throw new M2MError(providerCode(body.error), `token info: ${client.id} answered ${body.error}${description ? ` (${description})` : ''}`, {
      provider: client.id,
      error: body.error,
      error_description: description,
    });
  }
  return redactDeep(withoutToken(body, token.accessToken) as Raw);
}
