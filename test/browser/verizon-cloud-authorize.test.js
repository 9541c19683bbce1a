'use strict';
/**
 * The Verizon Cloud authorization code flow end to end, as a user does it:
 * Node-RED 5 as a real process, its editor in chromium, the emulator as the provider.
 *
 * Open the m2m-provider dialog (through the get token node), read the callback URL
 * and register it with the provider, enter the client key and secret, press
 * Authorize: the provider's page consents and redirects to the callback, the dialog
 * shows "authorized"; deploy; get a token. Restart Node-RED: a token again, without
 * authorizing. Then a denied consent is shown in the dialog, and an expired
 * authorization in the errors and the node status.
 */
const assert = require('node:assert/strict');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { startNodeRed } = require('../support/node-red-process.js');
const { verizonCloudFlow, getToken, PROVIDER_ID } = require('../support/verizon-cloud-flow.js');
const { launchChromium } = require('./chromium.js');

const STATUS = '#m2m-authcode-status';

async function postJson(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return res.json();
}

/** Opens the editor and the m2m-provider dialog the way a user does: through the get token node's pencil. */
async function openProviderDialog(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.RED?.nodes?.node?.('vc-token') && document.querySelector('#vc-token'), null, {
    timeout: 30_000,
  });
  await page.dblclick('#vc-token');
  // The pencil beside the Provider select (Node-RED 5 and 4 name it differently).
  await page.click('#node-input-btn-provider-edit, #node-input-edit-provider');
  await page.waitForSelector('#node-config-input-clientId', { state: 'visible' });
}

async function statusText(page) {
  return (await page.textContent(STATUS)).trim();
}

describe('verizon-cloud in the editor (chromium, Node-RED 5 process, emulator)', function () {
  let emu;
  let nr;
  let browser;
  let page;
  /** Log lines of the Node-RED processes stopped so far. */
  const logs = [];

  before(async () => {
    emu = await startEmulator();
    // The config node exists (as imported from a shared flow) but has no credentials yet.
    nr = await startNodeRed({ flows: verizonCloudFlow(emu), logLevel: 'trace' });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // Fail at the step that hangs, well before mocha's timeout.
    browser.context.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  it('authorizes in the browser, deploys, gets a token, and gets one again after a restart', async () => {
    await openProviderDialog(page, nr.url);
    assert.equal(await statusText(page), 'not authorized yet');

    // The callback URL to register: the editor's admin root + the package's path, exactly.
    const callback = await page.inputValue('#m2m-authcode-callback');
    assert.equal(callback, `${nr.url}m2m-auth/verizon-cloud/callback`);
    // Registered at the provider: from now on it accepts only this exact URL.
    await postJson(`${emu.url}/_emulator/verizon-cloud/callbacks`, { urls: [callback] });

    await page.fill('#node-config-input-clientId', DEMO.clientId);
    await page.fill('#node-config-input-clientSecret', DEMO.clientSecret);
    const visited = [];
    browser.context.on('request', (r) => visited.push(r.url()));
    const popupOpened = browser.context.waitForEvent('page');
    await page.click('#m2m-authcode-authorize');
    const popup = await popupOpened;
    await popup.waitForURL(/\/m2m-auth\/verizon-cloud\/callback\?/);
    assert.match(await popup.textContent('h1'), /^Authorized$/);
    // The browser went to the provider's authorize page with everything the grant needs.
    const authorize = new URL(visited.find((u) => u.includes('/oauth2/authorize')));
    assert.equal(authorize.origin + authorize.pathname, `${emu.baseUrl('verizon-cloud')}/oauth2/authorize`);
    assert.equal(authorize.searchParams.get('client_id'), DEMO.clientId);
    assert.equal(authorize.searchParams.get('redirect_uri'), callback);
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.match(authorize.searchParams.get('state'), /^[A-Za-z0-9_-]{43}$/);
    assert.match(authorize.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(await popup.textContent('body'), /Close this window/);
    await page.waitForFunction((sel) => /^authorized/.test(document.querySelector(sel).textContent), STATUS);
    assert.equal(await statusText(page), 'authorized: deploy to start using it');
    assert.equal(emu.count('verizon-cloud', 'authorize'), 1);
    await popup.close();

    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    const logged = nr.logs.length;
    await page.click('#red-ui-header-button-deploy');
    await page.waitForFunction(() => !window.RED.nodes.dirty(), null, { timeout: 15_000 });
    // The deploy answers before the flows have restarted.
    await nr.waitForLog(/Started (modified )?flows/, logged);

    // The deploy wrote the refresh token the code exchange produced into flows_cred.json.
    const cloud = cloudState({ state: emu.state });
    const saved = nr.savedCredentials()[PROVIDER_ID];
    assert.equal(saved.clientId, DEMO.clientId);
    assert.equal(saved.clientSecret, DEMO.clientSecret);
    assert.ok(cloud.issued.includes(saved.refreshToken) && saved.refreshToken !== DEMO.refreshToken);

    const first = await getToken(nr.url);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.whoami.provider, 'verizon-cloud');
    assert.equal(first.body.whoami.clientId, DEMO.clientId);
    // Code exchange + one refresh, which rotated the deployed refresh token away.
    assert.equal(emu.count('verizon-cloud', 'token'), 2);
    assert.equal(cloud.refreshTokens.has(saved.refreshToken), false);

    await nr.stop();
    logs.push(...nr.logs);
    nr = await startNodeRed({ userDir: nr.userDir, logLevel: 'trace' });
    const again = await getToken(nr.url);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(emu.count('verizon-cloud', 'token'), 2, 'after a restart the stored access token serves: no request');
    // A new token after the restart: the rotated refresh token was kept, no new authorization.
    const refreshed = await getToken(nr.url, { refresh: true });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.token.fromCache, false);
    assert.equal(emu.count('verizon-cloud', 'authorize'), 1, 'no new authorization');
    assert.equal(emu.count('verizon-cloud', 'token'), 3);

    // The dialog of the restarted Node-RED knows the node is authorized.
    await openProviderDialog(page, nr.url);
    assert.equal(await statusText(page), 'authorized (refresh token stored)');
    assert.equal(await page.inputValue('#node-config-input-refreshToken'), '__PWRD__');
  });

  it('shows a denied consent in the dialog and keeps the existing authorization', async () => {
    // The restarted Node-RED listens on another port: its callback URL is another one to register.
    const callback = await page.inputValue('#m2m-authcode-callback');
    assert.equal(callback, `${nr.url}m2m-auth/verizon-cloud/callback`);
    await postJson(`${emu.url}/_emulator/verizon-cloud/callbacks`, { urls: [callback] });
    await postJson(`${emu.url}/_emulator/verizon-cloud/consent`, { mode: 'deny' });
    const popupOpened = browser.context.waitForEvent('page');
    await page.click('#m2m-authcode-authorize');
    const popup = await popupOpened;
    await popup.waitForURL(/\/m2m-auth\/verizon-cloud\/callback\?/);
    assert.match(await popup.textContent('h1'), /denied/i);
    await page.waitForFunction((sel) => /denied/.test(document.querySelector(sel).textContent), STATUS);
    assert.equal(await statusText(page), 'consent denied: The user denied access to Verizon Cloud');
    await popup.close();
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');

    const res = await getToken(nr.url);
    assert.equal(res.status, 200);
    assert.equal(res.body.token.fromCache, true);
  });

  it('shows an expired authorization in the errors and on the get token node; authorizing again fixes it', async () => {
    await fetch(`${emu.url}/_emulator/verizon-cloud/expire-refresh-tokens`, { method: 'POST' });
    await nr.stop();
    logs.push(...nr.logs);
    nr = await startNodeRed({ userDir: nr.userDir, logLevel: 'trace' });
    await page.goto(nr.url);
    await page.waitForSelector('#vc-token');
    // The stored access token still serves; a new one needs the refresh token the provider dropped.
    const res = await getToken(nr.url, { refresh: true });
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'authorization_expired');
    assert.match(res.body.message, /authorization expired: authorize again in the config node$/);
    const label = '#vc-token .red-ui-flow-node-status-label';
    await page.waitForFunction((sel) => /authorization expired/.test(document.querySelector(sel)?.textContent ?? ''), label);
    assert.equal((await page.textContent(label)).trim(), 'authorization expired: authorize again');

    // Authorize again, and deploy only the modified nodes: the config node restarts with the new token.
    await postJson(`${emu.url}/_emulator/verizon-cloud/consent`, { mode: 'auto' });
    await postJson(`${emu.url}/_emulator/verizon-cloud/callbacks`, { urls: [] });
    await page.dblclick('#vc-token');
    await page.click('#node-input-btn-provider-edit, #node-input-edit-provider');
    await page.waitForSelector('#m2m-authcode-authorize', { state: 'visible' });
    assert.equal(await statusText(page), 'authorized (refresh token stored)');
    const popupOpened = browser.context.waitForEvent('page');
    await page.click('#m2m-authcode-authorize');
    const popup = await popupOpened;
    await popup.waitForURL(/\/m2m-auth\/verizon-cloud\/callback\?/);
    await page.waitForFunction((sel) => /^authorized:/.test(document.querySelector(sel).textContent), STATUS);
    await popup.close();
    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.click('#red-ui-header-button-deploy-options');
    await page.click('#deploymenu-item-node');
    const deployed = page.waitForRequest((r) => r.url().endsWith('/flows') && r.method() === 'POST');
    const logged = nr.logs.length;
    await page.click('#red-ui-header-button-deploy');
    assert.equal((await deployed).headers()['node-red-deployment-type'], 'nodes');
    await page.waitForFunction(() => !window.RED.nodes.dirty(), null, { timeout: 15_000 });
    await nr.waitForLog(/Started (modified )?(flows|nodes)/, logged);
    const fixed = await getToken(nr.url, { refresh: true });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.whoami.provider, 'verizon-cloud');
    assert.equal(emu.count('verizon-cloud', 'authorize'), 3);
  });

  it('never writes a token, a code or the client secret to the Node-RED log (trace level)', () => {
    const cloud = cloudState({ state: emu.state });
    const secrets = [...cloud.issued, ...cloud.issuedCodes, ...emu.state.tokens.keys(), DEMO.clientSecret];
    const text = [...logs, ...nr.logs].join('\n');
    assert.match(text, /Started flows/);
    for (const s of secrets) assert.ok(!text.includes(s), 'a secret appears in the Node-RED log');
  });
});
