/**
 * Client authentication of a form POST to a token, revocation or introspection endpoint
 * (RFC 6749 §2.3.1): a Basic header (client_secret_basic) or client_id and
 * client_secret in the form (client_secret_post).
 */
import { M2MError } from '../errors.js';
import type { ClientAuth, ProviderContext } from '../providers/types.js';

/** `Basic base64(id:secret)`, as every provider in docs/providers.md expects it. */
export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
}

/** The headers and form of a request authenticated as the client. */
export function withClientAuth(
  clientAuth: ClientAuth,
  clientId: string,
  clientSecret: string,
  form: Record<string, string>,
): { headers: Record<string, string>; form: Record<string, string> } {
  if (clientAuth === 'body') return { headers: {}, form: { ...form, client_id: clientId, client_secret: clientSecret } };
  return { headers: { authorization: basicAuth(clientId, clientSecret) }, form: { ...form } };
}

/** withClientAuth with the account's own credentials and method; missing_credentials without them. */
export function authenticatedForm(
  ctx: ProviderContext,
  form: Record<string, string>,
): { headers: Record<string, string>; form: Record<string, string> } {
  const { clientId, clientSecret } = ctx.credentials;
  if (!clientId || !clientSecret) {
    throw new M2MError('missing_credentials', `the ${ctx.provider} provider has no client id or client secret`, {
      provider: ctx.provider,
    });
  }
  return withClientAuth(ctx.clientAuth, clientId, clientSecret, form);
}
