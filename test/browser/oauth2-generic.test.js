'use strict';
/**
 * The generic OAuth 2.0 preset as a user meets it: Node-RED 5 as a real process, its editor in
 * chromium, panva's oidc-provider (test/support/oidc-server.js) as the authorization server.
 *
 * 1. The m2m-provider dialog shows only the fields the chosen grant and client authentication
 *    use; with an issuer, Test connection discovers the endpoints and fetches a token; deployed,
 *    the flow gets a token whose audience is the configured resource.
 * 2. Authorization code with PKCE through the dialog's Authorize button: consent in
 *    oidc-provider's own login and consent pages in chromium, the package's callback
 *    (/m2m-auth/oauth2/callback, src/nodes/authorization.ts) exchanges the code, the deploy
 *    carries the refresh token, and the node gets tokens from it.
 */
const assert = require('node:assert/strict');
const { startOidcServer } = require('../support/oidc-server.js');
const { startNodeRed } = require('../support/node-red-process.js');
const { launchChromium } = require('./chromium.js');

const PROVIDER_ID = 'g-provider';

function flow(provider = {}) {
  return [
    { id: 'g-tab', type: 'tab', label: 'Generic OAuth 2.0' },
    {
      id: PROVIDER_ID,
      type: 'm2m-provider',
      name: 'generic',
      preset: 'oauth2',
      baseUrl: '',
      tokenUrl: '',
      revokeUrl: '',
      introspectUrl: '',
      scope: '',
      clientAuth: 'basic',
      grant: 'client_credentials',
      refreshMargin: 60,
      timeout: 5000,
      ...provider,
    },
    { id: 'g-in', x: 120, y: 80, type: 'http in', z: 'g-tab', url: '/token', method: 'get', wires: [['g-token']] },
    { id: 'g-token', x: 300, y: 80, type: 'm2m-token', z: 'g-tab', provider: PROVIDER_ID, tenant: '', includeToken: true, wires: [['g-shape']] },
    {
      id: 'g-shape',
      x: 480,
      y: 80,
      type: 'function',
      z: 'g-tab',
      func: 'msg.payload = { token: msg.token };\nreturn msg;',
      outputs: 1,
      wires: [['g-out']],
    },
    { id: 'g-catch', x: 300, y: 160, type: 'catch', z: 'g-tab', scope: ['g-token'], wires: [['g-error']] },
    {
      id: 'g-error',
      x: 480,
      y: 160,
      type: 'function',
      z: 'g-tab',
      func: 'msg.statusCode = 500;\nmsg.payload = { code: msg.error.code, message: msg.error.message };\nreturn msg;',
      outputs: 1,
      wires: [['g-out']],
    },
    { id: 'g-out', x: 660, y: 120, type: 'http response', z: 'g-tab', statusCode: '', headers: {}, wires: [] },
  ];
}

async function getToken(nodeRedUrl) {
  const res = await fetch(new URL('api/token', nodeRedUrl), { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.json() };
}

const jwtPayload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

describe('oauth2 (generic) in the editor and through consent (chromium, Node-RED 5 process, oidc-provider)', function () {
  let server;
  let nr;
  let browser;
  let page;

  before(async () => {
    const warn = console.warn;
    console.warn = () => {};
    // Node-RED first: the server registers its callback URL for the authorization-code clients.
    nr = await startNodeRed({ flows: flow(), logLevel: 'info' });
    try {
      server = await startOidcServer({ redirectUris: [`${nr.url}m2m-auth/oauth2/callback`] });
    } finally {
      console.warn = warn;
    }
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    browser.context.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    nr?.cleanup?.();
    await server?.close();
  });

  const visible = (sel) => page.isVisible(sel);

  it('the dialog shows the fields of the grant and client authentication; Test connection discovers; deployed, a token for the resource', async () => {
    await page.goto(nr.url);
    await page.waitForFunction(() => window.RED?.nodes?.node?.('g-token') && document.querySelector('#g-token'), null, { timeout: 30_000 });
    await page.dblclick('#g-token');
    await page.click('#node-input-btn-provider-edit, #node-input-edit-provider');
    await page.waitForSelector('#node-config-input-issuer', { state: 'visible' });

    // client_credentials + basic: a secret, no key, no user, no refresh token, no authorize URL.
    assert.equal(await visible('#node-config-input-clientSecret'), true);
    for (const hidden of ['kid', 'privateKey', 'username', 'password', 'refreshToken', 'authorizeUrl']) {
      assert.equal(await visible(`#node-config-input-${hidden}`), false, hidden);
    }
    assert.equal(await visible('#node-config-input-audience'), true);
    assert.equal(await visible('.m2m-row-extraParams'), true);
    await page.selectOption('#node-config-input-clientAuth', 'private_key_jwt');
    assert.equal(await visible('#node-config-input-privateKey'), true);
    assert.equal(await visible('#node-config-input-kid'), true);
    assert.equal(await visible('#node-config-input-clientSecret'), false);
    await page.selectOption('#node-config-input-grant', 'password');
    assert.equal(await visible('#node-config-input-username'), true);
    assert.equal(await visible('#node-config-input-password'), true);
    await page.selectOption('#node-config-input-grant', 'authorization_code');
    assert.equal(await visible('#node-config-input-authorizeUrl'), true);
    assert.equal(await visible('#node-config-input-refreshToken'), true);
    await page.selectOption('#node-config-input-grant', 'client_credentials');
    await page.selectOption('#node-config-input-clientAuth', 'basic');

    const resource = `${server.resourcePrefix}plant`;
    await page.fill('#node-config-input-issuer', server.issuer);
    await page.fill('#node-config-input-resource', resource);
    await page.fill('#node-config-input-clientId', server.clients.basic.id);
    await page.fill('#node-config-input-clientSecret', server.clients.basic.secret);
    // One extra parameter through the editable list (oidc-provider ignores parameters it does not know).
    await page.click('.m2m-row-extraParams .red-ui-editableList-addButton');
    await page.fill('.m2m-row-extraParams .m2m-param-name', 'organization');
    await page.fill('.m2m-row-extraParams .m2m-param-value', 'plant-7');
    server.clearLog();
    await page.click('#m2m-test-connection');
    await page.waitForFunction(() => /^(ok|failed)/.test(document.querySelector('#m2m-test-status').textContent));
    assert.match(await page.textContent('#m2m-test-status'), /^ok, token valid/);
    assert.deepEqual(
      server.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      ['GET /.well-known/oauth-authorization-server 200', 'POST /token 200'],
    );

    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    const logged = nr.logs.length;
    await page.click('#red-ui-header-button-deploy');
    await page.waitForFunction(() => !window.RED.nodes.dirty(), null, { timeout: 15_000 });
    await nr.waitForLog(/Started (modified )?flows/, logged);
    assert.deepEqual(await page.evaluate((id) => window.RED.nodes.node(id).extraParams, PROVIDER_ID), [{ name: 'organization', value: 'plant-7' }]);
    const saved = nr.savedCredentials()[PROVIDER_ID];
    assert.equal(saved.clientSecret, server.clients.basic.secret, 'the secret went to flows_cred.json');

    const got = await getToken(nr.url);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(jwtPayload(got.body.token.accessToken).aud, resource);
  });

  it('authorization code with PKCE through the Authorize button: consent in oidc-provider\'s pages, the callback, then tokens in Node-RED', async () => {
    const web = server.clients.web;
    await page.goto(nr.url);
    await page.waitForFunction(() => window.RED?.nodes?.node?.('g-token') && document.querySelector('#g-token'), null, { timeout: 30_000 });
    await page.dblclick('#g-token');
    await page.click('#node-input-btn-provider-edit, #node-input-edit-provider');
    await page.waitForSelector('#node-config-input-issuer', { state: 'visible' });
    await page.selectOption('#node-config-input-grant', 'authorization_code');
    await page.selectOption('#node-config-input-clientAuth', 'basic');
    await page.fill('#node-config-input-issuer', server.issuer);
    await page.fill('#node-config-input-resource', '');
    await page.fill('#node-config-input-scope', 'openid offline_access api:read');
    await page.fill('#node-config-input-clientId', web.id);
    await page.fill('#node-config-input-clientSecret', web.secret);
    // The callback to register at the server: this preset's, under the editor's admin root.
    assert.equal(await page.isVisible('#m2m-authcode-authorize'), true);
    assert.equal(await page.inputValue('#m2m-authcode-callback'), `${nr.url}m2m-auth/oauth2/callback`);

    server.clearLog();
    const popupOpened = browser.context.waitForEvent('page');
    await page.click('#m2m-authcode-authorize');
    const popup = await popupOpened;
    // oidc-provider's own login and consent pages (its development interactions).
    await popup.waitForSelector('input[name="login"]');
    await popup.fill('input[name="login"]', 'plant-operator');
    await popup.fill('input[name="password"]', 'any');
    await popup.click('button[type="submit"]');
    await popup.waitForSelector('button[type="submit"]');
    await popup.click('button[type="submit"]');
    await popup.waitForURL(/\/m2m-auth\/oauth2\/callback\?/);
    assert.match(await popup.textContent('h1'), /^Authorized$/);
    // The authorize request carried PKCE S256 and a state; the exchange was one POST /token with Basic.
    const authorize = server.requests.find((r) => r.method === 'GET' && r.path.startsWith('/auth'));
    assert.ok(authorize, JSON.stringify(server.requests.map((r) => `${r.method} ${r.path}`)));
    assert.deepEqual(server.events.map((e) => `${e.event} ${e.grantType} ${e.clientId}`), ['grant.success authorization_code web-app']);
    await page.waitForFunction(() => /^authorized/.test(document.querySelector('#m2m-authcode-status').textContent));
    await popup.close();

    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    server.clearLog();
    const logged = nr.logs.length;
    await page.click('#red-ui-header-button-deploy');
    await page.waitForFunction(() => !window.RED.nodes.dirty(), null, { timeout: 15_000 });
    await nr.waitForLog(/Started (modified )?flows/, logged);
    assert.ok(nr.savedCredentials()[PROVIDER_ID].refreshToken, 'the deploy carried the refresh token to flows_cred.json');
    const got = await getToken(nr.url);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.match(got.body.token.scope, /api:read/);
    assert.deepEqual(server.events.map((e) => `${e.event} ${e.grantType} ${e.clientId}`), ['grant.success refresh_token web-app']);
  });
});
