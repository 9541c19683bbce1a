'use strict';
/**
 * The chains the node scenarios compare (builders for red.deploy), all against the
 * emulator's generic OAuth 2.0 token endpoint with the demo client:
 *  - ours:   m2m-token with an m2m-provider (preset oauth2, client_secret_basic);
 *  - oauth2: node-red-contrib-oauth2, the most used OAuth2 node, configured for client
 *            credentials the way its editor saves it;
 *  - floor:  a pass-through node that does nothing: what Node-RED itself costs.
 */
const { DEMO } = require('../../dist/emulator/index.js');

const tokenUrl = (emu) => `${emu.url}/oauth2/token`;

/**
 * An m2m-provider config node with the demo client's credentials, every property as the
 * editor saves it. `fields`: preset, name, baseUrl, tokenUrl.
 */
function providerConfig(id, fields) {
  return {
    id,
    type: 'm2m-provider',
    name: '',
    preset: 'oauth2',
    baseUrl: '',
    tokenUrl: '',
    revokeUrl: '',
    introspectUrl: '',
    scope: '',
    clientAuth: 'basic',
    appName: '',
    appVersion: '',
    hostTenant: '',
    refreshMargin: 60,
    timeout: 30000,
    tls: '',
    proxy: '',
    ...fields,
    credentials: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
  };
}

/** m2m-token → (sink), with its m2m-provider config node. */
const ours = (emu) => ({ id }) => ({
  name: 'm2m-token',
  // A token URL of its own per deploy (the emulator ignores the query): the local store keeps an
  // account's token across deploys (issue 12), and a cold scenario must start cold.
  config: [providerConfig(id('prov'), { name: 'emulator oauth2', preset: 'oauth2', tokenUrl: `${tokenUrl(emu)}?deploy=${id('prov')}` })],
  nodes: [{ type: 'm2m-token', name: '', provider: id('prov'), tenant: '', includeToken: false }],
});

/**
 * node-red-contrib-oauth2 6.x (src/oauth2.js). It reads the client id and secret from the
 * node's properties (config.client_id / config.client_secret, saved in flows.json), sends
 * them as a Basic header when client_credentials_in_body is false, keeps the token in the
 * node (this.credentials.access_token / expire_time) until expires_in has passed, and puts
 * the token answer in msg.oauth2Response (not in an Authorization header). On a failure it
 * sends to a second output its editor does not offer; the harness wires that output to the
 * error sink so that a failure is counted instead of lost.
 */
const contribOauth2 = (emu) => () => ({
  name: 'node-red-contrib-oauth2',
  nodes: [
    {
      type: 'oauth2',
      outputs: 2,
      name: '',
      container: 'oauth2Response',
      grant_type: 'client_credentials',
      access_token_url: tokenUrl(emu),
      authorization_endpoint: '',
      redirect_uri: '',
      open_authentication: '',
      username: '',
      password: '',
      client_id: DEMO.clientId,
      client_secret: DEMO.clientSecret,
      response_type: '',
      access_type: '',
      refresh_token: '',
      prompt: '',
      scope: '',
      resource: '',
      state: '',
      proxy: '',
      debug: false,
      force: false,
      senderr: false,
      client_credentials_in_body: false,
      rejectUnauthorized: true,
      headers: {},
    },
  ],
});

/** Node-RED's floor: bench-pass only passes the message on. */
const floor = () => () => ({ name: 'floor (pass-through)', nodes: [{ type: 'bench-pass', name: '' }] });

module.exports = { ours, contribOauth2, floor, tokenUrl, providerConfig };
