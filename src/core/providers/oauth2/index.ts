/**
 * Any OAuth 2.0 server (docs/providers.md §6; README "Generic OAuth 2.0"): endpoints set or read
 * by discovery (RFC 8414, else OpenID Connect), the grants client_credentials (default),
 * authorization_code (tokens then come from the refresh token the consent gave), refresh_token
 * and password, client authentication basic, body, private_key_jwt, tls_client_auth or none,
 * audience, RFC 8707 resources and vendor parameters; RFC 7009 revocation and RFC 7662
 * introspection. The settings make the preset (forSettings): which credentials it needs,
 * whether its refresh token rotates, whether it has an Authorize button.
 */
import { M2MError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { clientAuthCredentials } from '../../oauth2/client-auth.js';
import { discover } from '../../oauth2/discovery.js';
import { rfc7662Introspection } from '../../oauth2/introspection.js';
import { rfc7009Revocation } from '../../oauth2/revocation.js';
import { checkGrantClientAuth, genericTokenRequest, type GrantType } from '../../oauth2/token-request.js';
import type { Preset, ProviderContext, ProviderCredentials, ProviderSettings, TokenParams } from '../types.js';
import { refreshFailure } from '../verizon-cloud/index.js';

export function grantOf(settings: ProviderSettings): GrantType {
  return settings.grant || 'client_credentials';
}

/**
 * A password the server rejected, per client (its HttpClient): not sent again until the
 * credentials change (a redeploy makes a new client). A rejected password sent on every
 * message would lock the account at many servers.
 */
const rejectedPasswords = new WeakMap<HttpClient, string>();

async function fetchToken(ctx: ProviderContext, params: TokenParams) {
  const { settings, credentials: c, http } = ctx;
  const grant = grantOf(settings);
  // authorization_code: the consent gave a refresh token (the Authorize button); tokens come from it.
  const sent: GrantType = grant === 'authorization_code' ? 'refresh_token' : grant;
  if (sent === 'password' && rejectedPasswords.get(http) === c.password) {
    throw new M2MError('invalid_grant', 'the server rejected the password; it is not sent again until the credentials change', {
      provider: ctx.provider,
    });
  }
  try {
    return await genericTokenRequest(http, {
      tokenUrl: ctx.urls.tokenUrl,
      grant: sent,
      clientAuth: ctx.clientAuth,
      client: { clientId: c.clientId!, clientSecret: c.clientSecret, privateKey: c.privateKey, kid: settings.kid || undefined },
      params: {
        // authorization_code: the configured scope was asked for at the consent; a refresh without
        // one keeps what was granted (RFC 6749 §6), and servers refuse one the grant narrowed.
        scope: grant === 'authorization_code' && params.scope === settings.scope ? undefined : params.scope,
        audience: params.audience,
        resource: params.resource,
        extra: (settings.extraParams ?? []).map(({ name, value }): [string, string] => [name, value]),
      },
      owner: { username: c.username ?? '', password: c.password ?? '' },
      refreshToken: c.refreshToken,
    });
  } catch (e) {
    if (sent === 'password' && e instanceof M2MError && e.cause.error === 'invalid_grant') rejectedPasswords.set(http, c.password!);
    // A refresh token that no longer works: the user authorizes again (as for Verizon Cloud).
    throw grant === 'authorization_code' ? refreshFailure(e) : e;
  }
}

/** The credentials a grant needs besides the client authentication's. */
function grantCredentials(grant: GrantType): Array<keyof ProviderCredentials> {
  if (grant === 'password') return ['username', 'password'];
  if (grant === 'refresh_token' || grant === 'authorization_code') return ['refreshToken'];
  return [];
}

export const oauth2: Preset = {
  id: 'oauth2',
  label: 'OAuth 2.0 (generic)',
  baseUrl: '',
  tokenPath: '',
  clientAuth: 'basic',
  fields: [
    'issuer',
    'grant',
    'authorizeUrl',
    'scope',
    'audience',
    'resource',
    'extraParams',
    'clientAuth',
    'kid',
    'privateKey',
    'username',
    'password',
    'refreshToken',
    'revokeUrl',
    'introspectUrl',
  ],
  requires: ['clientId', 'clientSecret'],
  fetchToken,
  revoke: rfc7009Revocation,
  introspect: rfc7662Introspection,
  discover: (http, settings) =>
    settings.issuer
      ? discover(http, settings.issuer).then((d) => ({
          tokenUrl: d.tokenUrl,
          revokeUrl: d.revokeUrl,
          introspectUrl: d.introspectUrl,
          authorizeUrl: d.authorizeUrl,
        }))
      : undefined,
  forSettings(settings) {
    const grant = grantOf(settings);
    const clientAuth = settings.clientAuth || 'basic';
    // A wrong pair is a config error at deploy, not at the first message.
    checkGrantClientAuth(grant, clientAuth, 'oauth2');
    const refreshes = grant === 'refresh_token' || grant === 'authorization_code';
    return {
      ...oauth2,
      requires: [...clientAuthCredentials(clientAuth), ...grantCredentials(grant)],
      // RFC 9700 §4.14.2: a server may rotate refresh tokens; requests then run one at a time, the newest kept.
      ...(refreshes ? { rotatesRefreshToken: true } : {}),
      ...(grant === 'authorization_code' ? { authorization: { authorizePath: '', pkce: true } } : {}),
    };
  },
};
