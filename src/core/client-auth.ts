import type { ProviderClient } from './provider-client.js';
import { withClientAuth } from './providers/index.js';

/**
 * The client authentication of a form POST to a revocation or introspection endpoint,
 * the way the account authenticates at its token endpoint: a Basic header
 * (client_secret_basic), or client_id and client_secret in the form (client_secret_post).
 */
export function authenticatedForm(
  client: ProviderClient,
  form: Record<string, string>,
): { headers: Record<string, string>; form: Record<string, string> } {
  client.requireCredentials(['clientId', 'clientSecret']);
  const clientId = client.credential('clientId')!;
  const clientSecret = client.credential('clientSecret')!;
  return withClientAuth(client.context().clientAuth, clientId, clientSecret, form);
}
