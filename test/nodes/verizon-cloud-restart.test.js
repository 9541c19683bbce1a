'use strict';
/**
 * Verizon Cloud across restarts of a real Node-RED process: the refresh token
 * rotates on every refresh, the old one stops working at once, and the newest
 * must be what Node-RED uses after a restart (no deploy in between).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { startNodeRed } = require('../support/node-red-process.js');
const { verizonCloudFlow, getToken, PROVIDER_ID } = require('../support/verizon-cloud-flow.js');

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** Every secret the emulator ever issued, and the client secret. */
function secrets(emu) {
  const cloud = cloudState({ state: emu.state });
  return [...cloud.issued, ...cloud.issuedCodes, ...emu.state.tokens.keys(), DEMO.clientSecret];
}

function assertNoSecretIn(lines, emu) {
  const text = lines.join('\n');
  for (const s of secrets(emu)) assert.ok(!text.includes(s), `a secret appears in the Node-RED log`);
  assert.doesNotMatch(text, /Basic [A-Za-z0-9+/=]{8,}/);
}

describe(`verizon-cloud: a real Node-RED process (${process.env.NODE_RED_PACKAGE || 'node-red'}) keeps the newest refresh token`, function () {
  this.timeout(60_000);
  let emu;
  let nr;
  /** Log lines of every Node-RED process of this suite. */
  const logs = [];

  /** Stops Node-RED and starts it again on the same user dir (no deploy in between). */
  async function restart() {
    await nr.stop();
    logs.push(...nr.logs);
    nr = await startNodeRed({ userDir: nr.userDir, adminToken: ADMIN_TOKEN, logLevel: 'trace' });
  }
  before(async () => {
    emu = await startEmulator();
  });
  after(async () => {
    await nr?.stop();
    nr?.cleanup();
    await emu.close();
  });

  it('gets tokens, rotates, restarts without a deploy and gets a token again', async () => {
    nr = await startNodeRed({
      flows: verizonCloudFlow(emu),
      credentials: { [PROVIDER_ID]: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, refreshToken: DEMO.refreshToken } },
      adminToken: ADMIN_TOKEN,
      logLevel: 'trace',
    });
    const first = await getToken(nr.url);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.whoami.provider, 'verizon-cloud');
    assert.equal(first.body.token.fromCache, false);
    assert.equal(first.body.token.accessToken, undefined);
    // The demo refresh token was spent: only the rotated one works now.
    const cloud = cloudState({ state: emu.state });
    assert.equal(cloud.refreshTokens.has(DEMO.refreshToken), false);
    assert.equal(cloud.refreshTokens.size, 1);
    const second = await getToken(nr.url);
    assert.equal(second.body.token.fromCache, true);
    assert.equal(emu.count('verizon-cloud', 'token'), 1);

    // flows_cred.json still holds the configured (now spent) token: Node-RED saves credentials only on deploy.
    assert.equal(nr.savedCredentials()[PROVIDER_ID].refreshToken, DEMO.refreshToken);
    const saved = fs.readdirSync(path.join(nr.userDir, '.m2m-auth'));
    assert.equal(saved.filter((f) => !f.startsWith('state-')).length, 1, 'the node\'s refresh-token file');
    assert.equal(saved.filter((f) => f.startsWith('state-')).length, 1, 'the account\'s state file (the local store)');
    for (const name of saved) {
      const file = fs.readFileSync(path.join(nr.userDir, '.m2m-auth', name), 'utf8');
      for (const t of [...cloud.refreshTokens, ...emu.state.tokens.keys()]) assert.ok(!file.includes(t), `${name}: tokens are encrypted`);
    }

    await restart();
    const afterRestart = await getToken(nr.url);
    assert.equal(afterRestart.status, 200, JSON.stringify(afterRestart.body));
    assert.equal(emu.count('verizon-cloud', 'token'), 1, 'after a restart the stored access token serves: no request');
    const refreshed = await getToken(nr.url, { refresh: true });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.token.fromCache, false);
    assert.equal(emu.count('verizon-cloud', 'token'), 2);
    assert.equal(emu.state.log.filter((r) => r.route === 'token').every((r) => r.status === 200), true);

    // A deploy in between (the editor sends no refresh token) changes nothing either.
    const logged = nr.logs.length;
    const deploy = await fetch(new URL('flows', nr.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'node-red-api-version': 'v2',
        'node-red-deployment-type': 'full',
        authorization: `Bearer ${ADMIN_TOKEN}`,
      },
      body: JSON.stringify({ flows: verizonCloudFlow(emu) }),
    });
    assert.equal(deploy.status, 200);
    await nr.waitForLog(/Started flows/, logged);
    assert.equal(nr.savedCredentials()[PROVIDER_ID].refreshToken, DEMO.refreshToken);
    assert.equal((await getToken(nr.url)).status, 200);
    assert.equal(emu.count('verizon-cloud', 'token'), 2, 'the stored access token serves the redeployed node');
    assert.equal((await getToken(nr.url, { refresh: true })).status, 200);
    assert.equal(emu.count('verizon-cloud', 'token'), 3, 'the redeployed node refreshed with the newest token');

    // And a restart again: the token rotated after the first restart is kept too.
    await restart();
    assert.equal((await getToken(nr.url, { refresh: true })).status, 200);
    assert.equal(emu.count('verizon-cloud', 'token'), 4);
    assert.ok(emu.state.log.filter((r) => r.route === 'token').every((r) => r.status === 200));
    assertNoSecretIn([...logs, ...nr.logs], emu);
  });

  it('protects the authorize endpoint with the editor token; the callback answers a wrong state with 400', async () => {
    const start = new URL('m2m-auth/verizon-cloud/authorize', nr.url);
    const body = JSON.stringify({
      id: PROVIDER_ID,
      baseUrl: emu.baseUrl('verizon-cloud'),
      clientSecret: '__PWRD__', // the editor's placeholder: use the deployed secret
      redirectUri: new URL('m2m-auth/verizon-cloud/callback', nr.url).href,
    });
    const headers = { 'content-type': 'application/json' };
    const anonymous = await fetch(start, { method: 'POST', headers, body });
    assert.equal(anonymous.status, 401);
    const editor = await fetch(start, { method: 'POST', headers: { ...headers, authorization: `Bearer ${ADMIN_TOKEN}` }, body });
    assert.equal(editor.status, 200);
    const { authorizeUrl, handle } = await editor.json();
    assert.ok(authorizeUrl.startsWith(`${emu.baseUrl('verizon-cloud')}/oauth2/authorize?`));

    // The provider's redirect carries no editor token: the callback is open, and refuses what it did not start.
    const wrong = await fetch(new URL('m2m-auth/verizon-cloud/callback?code=abc&state=forged', nr.url));
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /unknown state/);
    const poll = new URL(`m2m-auth/verizon-cloud/authorize/${handle}`, nr.url);
    assert.equal((await fetch(poll)).status, 401);
    const pending = await fetch(poll, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.deepEqual(await pending.json(), { status: 'pending', nodeId: PROVIDER_ID });
  });

  it('fails with "authorization expired" once the provider drops the refresh token', async () => {
    await fetch(`${emu.url}/_emulator/verizon-cloud/expire-refresh-tokens`, { method: 'POST' });
    await restart();
    // The stored access token still serves; a new one needs the refresh token the provider dropped.
    const res = await getToken(nr.url, { refresh: true });
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'authorization_expired');
    // Node-RED's Catch node prefixes the error's name.
    assert.match(res.body.message, /^(M2MError: )?authorization expired: authorize again in the config node$/);
    assertNoSecretIn([...logs, ...nr.logs], emu);
  });
});
