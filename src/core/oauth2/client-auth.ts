/**
 * Client authentication of a form POST to a token, revocation or introspection endpoint,
 * every method a preset may use (ClientAuth in providers/types.ts):
 *  - `basic`: client_secret_basic, RFC 6749 §2.3.1;
 *  - `body`: client_secret_post, RFC 6749 §2.3.1;
 *  - `private_key_jwt`: a JWT signed with the client's private key, RFC 7523 §2.2 and §3
 *    (signed in client-assertion.ts);
 *  - `tls_client_auth`: the TLS client certificate, RFC 8705 §2.1 (the HttpClient's tls options
 *    carry the certificate; the form carries only client_id);
 *  - `none`: a public client, RFC 6749 §2.1 (client_id in the form; PKCE protects the code).
 */
import type { KeyObject } from 'node:crypto';
import { M2MError } from '../errors.js';
import type { ClientAuth, ProviderContext } from '../providers/types.js';
import { CLIENT_ASSERTION_TYPE, clientAssertion, type AssertionAlg } from './client-assertion.js';
import type { ClientAuthParts } from './request.js';

/** The generic preset's name for a method (the `clientAuth` setting). */
export type ClientAuthMethod = ClientAuth;
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['basic', 'body', 'private_key_jwt', 'tls_client_auth', 'none'];

/** The names RFC 8414 §2 (token_endpoint_auth_methods_supported) gives our methods. */
export const AUTH_METHOD_NAMES: Readonly<Record<ClientAuthMethod, string>> = {
  basic: 'client_secret_basic',
  body: 'client_secret_post',
  private_key_jwt: 'private_key_jwt',
  tls_client_auth: 'tls_client_auth',
  none: 'none',
};

/** `Basic base64(id:secret)`, as every provider in docs/providers.md expects it. */
export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
}

/**
 * The headers and form of a request authenticated with a client secret (`basic` or `body`),
 * synchronously: what the presets with a secret use. Other methods: clientAuthentication.
 */
export function withClientAuth(
  clientAuth: ClientAuth,
  clientId: string,
  clientSecret: string,
  form: Record<string, string>,
): { headers: Record<string, string>; form: Record<string, string> } {
  if (clientAuth === 'body') return { headers: {}, form: { ...form, client_id: clientId, client_secret: clientSecret } };
  if (clientAuth !== 'basic') {
    throw new M2MError('invalid_config', `client authentication "${clientAuth}" needs clientAuthentication (it has no client secret)`);
  }
  // RFC 6749 §2.3.1 wants id and secret form-urlencoded before Base64; basicAuth keeps them as
  // the presets already send them (servers differ).
  return { headers: { authorization: basicAuth(clientId, clientSecret) }, form: { ...form } };
}

/** What the client authenticates with; which fields a method needs is checked by clientAuthentication. */
export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  /** PEM, for private_key_jwt. */
  privateKey?: string | KeyObject;
  kid?: string;
  alg?: AssertionAlg;
}

function need(value: string | undefined, what: string, method: ClientAuthMethod, provider: string): string {
  if (!value) throw new M2MError('invalid_config', `client authentication ${method} needs the ${what}`, { provider });
  return value;
}

/**
 * The headers and form fields that authenticate the client with `method` at an endpoint of the
 * server. `audience` is the `aud` of a private_key_jwt assertion: the token endpoint URL
 * (RFC 7523 §3; servers accept it at revocation and introspection too).
 */
export async function clientAuthentication(
  method: ClientAuthMethod,
  client: ClientCredentials,
  audience: string,
  provider = 'oauth2',
): Promise<ClientAuthParts> {
  const clientId = need(client.clientId, 'client id', method, provider);
  switch (method) {
    case 'basic':
    case 'body':
      return withClientAuth(method, clientId, need(client.clientSecret, 'client secret', method, provider), {});
    case 'private_key_jwt': {
      if (!client.privateKey) need(undefined, 'private key', method, provider);
      const assertion = await clientAssertion({
        clientId,
        audience,
        privateKey: client.privateKey!,
        kid: client.kid,
        alg: client.alg,
      });
      // RFC 7523 §2.2; client_id is optional there and helps servers find the key (OIDC Core §9).
      return { headers: {}, form: { client_id: clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion } };
    }
    case 'tls_client_auth':
    // RFC 8705 §2.1: the certificate authenticates; client_id tells the server which client it is.
    case 'none':
      return { headers: {}, form: { client_id: clientId } };
    default:
      throw new M2MError('invalid_config', `unknown client authentication "${String(method)}"`, { provider });
  }
}

/** The credentials a client authentication method needs from the config node. */
export function clientAuthCredentials(method: ClientAuthMethod): Array<'clientId' | 'clientSecret' | 'privateKey'> {
  if (method === 'private_key_jwt') return ['clientId', 'privateKey'];
  if (method === 'tls_client_auth' || method === 'none') return ['clientId'];
  return ['clientId', 'clientSecret'];
}

/**
 * `form` authenticated with the account's own credentials and method (ctx.clientAuth);
 * missing_credentials without them. A private_key_jwt assertion's `aud` is the token URL.
 */
export async function authenticatedForm(ctx: ProviderContext, form: Record<string, string>): Promise<ClientAuthParts> {
  const c = ctx.credentials;
  if (clientAuthCredentials(ctx.clientAuth).some((n) => !c[n])) {
    const what = ctx.clientAuth === 'private_key_jwt' ? 'client id or private key' : ctx.clientAuth === 'basic' || ctx.clientAuth === 'body' ? 'client id or client secret' : 'client id';
    throw new M2MError('missing_credentials', `the ${ctx.provider} provider has no ${what}`, { provider: ctx.provider });
  }
  const auth = await clientAuthentication(
    ctx.clientAuth,
    { clientId: c.clientId!, clientSecret: c.clientSecret, privateKey: c.privateKey, kid: ctx.settings.kid || undefined },
    ctx.urls.tokenUrl,
    ctx.provider,
  );
  return { headers: auth.headers, form: { ...form, ...auth.form } };
}
