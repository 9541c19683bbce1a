import { M2MError, providerCode } from './errors.js';
import type { ProviderClient } from './provider-client.js';
import { authenticatedForm } from './client-auth.js';
import type { TokenParams } from './providers/index.js';
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
 * What the provider knows of the current token (m2m-token "inspect"):
 *  - ThingSpace core: `GET /oauth2/token/info?access_token=…` → {grant_type, expires_in, created_at, username, clientid, …};
 *  - any provider with a token info URL: RFC 7662 introspection, POST `token` with client authentication → {active, …}.
 * The answer never carries the token value. An answer with an OAuth `error` is thrown.
 */
export async function introspectToken(client: ProviderClient, params: TokenParams = {}): Promise<Raw> {
  const url = client.urls.introspectUrl;
  if (!url) {
    throw new M2MError(
      'not_supported',
      `${client.preset.label} has no token info endpoint; set "Token info URL" in the m2m-provider node if it has one`,
      { provider: client.id },
    );
  }
  const { token } = await client.getToken(params);
  let body: Raw;
  if (client.id === 'thingspace-core') {
    ({ body } = await client.http.request<Raw>({
      method: 'GET',
      url,
      searchParams: { access_token: token.accessToken },
      what: 'token info request',
    }));
  } else {
    const auth = authenticatedForm(client, { token: token.accessToken, token_type_hint: 'access_token' });
    ({ body } = await client.http.request<Raw>({ method: 'POST', url, ...auth, what: 'token introspection' }));
  }
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
