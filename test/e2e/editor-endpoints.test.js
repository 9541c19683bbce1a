'use strict';
/**
 * What the editor asks a running Node-RED (with adminAuth on) for: the Test connection
 * endpoint only with the m2m-provider.write permission, and the node catalogs and help
 * in the editor's language (en-US, de, ja).
 */
const assert = require('node:assert/strict');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');

const ADMIN_TOKEN = 'editor-endpoints-test-admin-token';

describe('end to end: the editor\'s endpoints (adminAuth on)', function () {
  this.timeout(60_000);
  let emu;
  let nr;
  before(async () => {
    emu = await startEmulator();
    nr = await startNodeRedProcess({ adminToken: ADMIN_TOKEN });
  });
  after(async () => {
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  const dialog = () => ({
    id: 'not-deployed',
    preset: 'iotspot',
    baseUrl: emu.baseUrl('iotspot'),
    clientId: DEMO.clientId,
    clientSecret: DEMO.clientSecret,
  });

  it('Test connection is refused without an editor login (it needs m2m-provider.write), and answers without the token', async () => {
    const anonymous = await fetch(new URL('m2m-auth/test', nr.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dialog()),
    });
    assert.equal(anonymous.status, 401);
    assert.equal(emu.count('iotspot'), 0, 'no request without permission');

    const res = await nr.api('m2m-auth/test', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dialog()),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.ok, true, JSON.stringify(body));
    assert.equal(body.expiresInText, '60 min');
    for (const token of emu.state.tokens.keys()) assert.ok(!JSON.stringify(body).includes(token));
  });

  for (const [lang, label, heading] of [
    ['en-US', 'get token', 'Inputs'],
    ['de', 'Token holen', 'Eingangsdaten'],
    ['ja', 'トークン取得', '入力'],
  ]) {
    it(`serves the catalogs and help in ${lang}`, async () => {
      const catalog = await (await nr.api(`locales/@iot-m2m/node-red-auth/m2m-token?lng=${lang}`)).json();
      assert.equal(catalog['m2m-token'].paletteLabel, label);
      const html = await (await nr.api('nodes', { headers: { accept: 'text/html', 'accept-language': lang } })).text();
      const help = /<script type="text\/html" data-help-name="m2m-token">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
      assert.match(help, new RegExp(`<h3>${heading}</h3>`));
    });
  }
});
