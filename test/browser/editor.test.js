'use strict';
/**
 * The editor as a user meets it: Node-RED 5 as a real process with the package, its
 * editor in chromium, the emulator as the provider. The palette, every node's help,
 * the provider dialog (fields per preset, Test connection), the read device dialog's
 * id check, and a flow built from the palette, deployed and triggered until telemetry
 * shows in the debug sidebar.
 *
 * Screenshots of the provider dialog and of the flow with telemetry go to
 * test-results/screenshots/, or to docs/ (the README shows those) with
 * M2M_SCREENSHOTS=docs (`npm run screenshots`).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { startNodeRed } = require('../support/node-red-process.js');
const { launchChromium } = require('./chromium.js');

const ROOT = path.join(__dirname, '..', '..');
const SHOTS = process.env.M2M_SCREENSHOTS === 'docs' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test-results', 'screenshots');
const DEVICES = ['e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0', '7c1f3a52-0d4e-4b8a-9e26-5a3b1c9d8e40', '3f9a1c5e-7b2d-4c8e-a1f6-9d0e2b4c6a81'];

/** The flow nodes of the package with their palette labels. */
const PALETTE = {
  'm2m-token': 'get token',
  'm2m-tenants': 'list tenants',
  'm2m-session': 'M2M session',
  'm2m-device': 'read device',
  'm2m-revoke': 'revoke',
};

/** What each node's help lists under Inputs and Outputs (every msg property read and written). */
const HELP = {
  'm2m-token': { inputs: ['tenant', 'refresh', 'headers'], outputs: ['headers.Authorization', 'token', 'payload'] },
  'm2m-session': { inputs: ['headers'], outputs: ['headers.Authorization', 'headers.VZ-M2M-Token', 'session'] },
  'm2m-device': { inputs: ['deviceId', 'payload'], outputs: ['payload', 'topic', 'deviceId', 'device'] },
  'm2m-tenants': { inputs: ['refresh'], outputs: ['payload', 'tenants', 'tenant', 'parts'] },
  'm2m-revoke': { inputs: ['tenant'], outputs: ['payload'] },
};

/** Dialog rows each preset shows besides name, provider, client id/secret, URLs, timing, TLS and proxy. */
const PRESET_FIELDS = {
  thingspace: ['scope', 'username', 'password', 'revokeUrl'],
  'thingspace-core': ['revokeUrl', 'introspectUrl'],
  'insights-hub': ['appName', 'appVersion', 'hostTenant'],
  iotspot: ['scope', 'revokeUrl'],
  'verizon-cloud': ['refreshToken', 'authorize'],
  oauth2: ['scope', 'clientAuth', 'revokeUrl', 'introspectUrl'],
};
const OPTIONAL_FIELDS = ['scope', 'clientAuth', 'appName', 'appVersion', 'hostTenant', 'username', 'password', 'refreshToken', 'revokeUrl', 'introspectUrl', 'authorize'];

/** The real provider's token URL the placeholder shows. */
const TOKEN_URL_PLACEHOLDER = {
  thingspace: 'https://thingspace.verizon.com/api/ts/v1/oauth2/token',
  'thingspace-core': 'https://core.thingspace.verizon.com/oauth2/token',
  'insights-hub': 'https://gateway.eu1.mindsphere.io/api/technicaltokenmanager/v3/oauth/token',
  iotspot: 'https://iotspot-m2mauth-prod.auth.eu-central-1.amazoncognito.com/oauth2/token',
  'verizon-cloud': 'https://api.cloudapi.verizon.com/cloud/1/oauth2/token',
  oauth2: 'https://auth.example.com/oauth2/token',
};

describe('the editor (chromium, Node-RED 5 process, emulator)', function () {
  let emu;
  let nr;
  let browser;
  let page;
  /** Ids of the nodes placed on the canvas, by role. */
  const placed = {};

  before(async () => {
    emu = await startEmulator();
    nr = await startNodeRed({});
    // No rotating tips in the sidebar (they would change every screenshot).
    const tips = await nr.api('settings/user', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ editor: { view: { 'view-show-tips': false } } }),
    });
    assert.equal(tips.status, 204);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    browser.context.setDefaultTimeout(15_000);
    await page.goto(nr.url);
    await page.waitForFunction(() => document.querySelector('#red-ui-palette-container-M2M_auth .red-ui-palette-node'), null, {
      timeout: 30_000,
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterEach(async function () {
    // What the page looked like when a test failed (CI keeps test-results/).
    if (this.currentTest.state === 'failed' && page) {
      const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'test-results', `failed-${name}.png`) }).catch(() => {});
    }
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  /** Resolves once no edit tray is open (a closing tray still covers the canvas). */
  async function noTray() {
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
  }

  /** Resolves once no palette popover shows (the next hover opens a fresh one). */
  async function noPopover() {
    await page.mouse.move(700, 5);
    await page.waitForFunction(() => ![...document.querySelectorAll('.red-ui-popover')].some((p) => p.offsetParent !== null));
  }

  /** Drags a node from the palette onto the canvas at (x, y); returns its id. */
  async function place(type, x, y) {
    await noTray();
    const source = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
    await source.scrollIntoViewIfNeeded();
    const from = await source.boundingBox();
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
    await page.mouse.up();
    const id = await page.evaluate(
      ([t, known]) => RED.nodes.filterNodes({ type: t }).map((n) => n.id).find((i) => !known.includes(i)),
      [type, before],
    );
    assert.ok(id, `a ${type} node was placed`);
    return id;
  }

  /** Draws a wire from the output of `from` to the input of `to`, as a user drags it. */
  async function wire(from, to) {
    const out = await page.locator(`[id="${from}"] .red-ui-flow-port-output`).first().boundingBox();
    const input = await page.locator(`[id="${to}"] .red-ui-flow-port-input`).first().boundingBox();
    await page.mouse.move(out.x + out.width / 2, out.y + out.height / 2);
    await page.mouse.down();
    await page.mouse.move(input.x + input.width / 2, input.y + input.height / 2, { steps: 8 });
    await page.mouse.up();
    const wired = await page.evaluate(([a, b]) => RED.nodes.filterLinks({ source: { id: a }, target: { id: b } }).length, [from, to]);
    assert.equal(wired, 1, `wire ${from} → ${to}`);
  }

  /** Ids of the dialog's rows that are shown. */
  function visibleFields() {
    return page.evaluate((optional) => {
      const shown = [];
      for (const f of optional) {
        const el = f === 'authorize' ? document.querySelector('#m2m-authcode-authorize') : document.querySelector(`#node-config-input-${f}`);
        if (el && el.offsetParent !== null) shown.push(f);
      }
      return shown;
    }, OPTIONAL_FIELDS);
  }

  async function testConnection() {
    await page.click('#m2m-test-connection');
    await page.waitForFunction(() => {
      const t = document.querySelector('#m2m-test-status')?.textContent ?? '';
      return t !== '' && !/testing/.test(t);
    });
    return (await page.textContent('#m2m-test-status')).trim();
  }

  /** The help sidebar's text for `type`, opened from the palette node's popover ("show help"). */
  async function paletteHelp(type) {
    const node = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
    await node.scrollIntoViewIfNeeded();
    await noPopover();
    await node.hover();
    const book = page.locator('.red-ui-popover button:has(i.fa-book)');
    await book.waitFor({ state: 'visible' });
    await book.click();
    return helpSection(PALETTE[type]);
  }

  /** The help sidebar's content once it shows `title`: its section headings and the msg properties of each. */
  async function helpSection(title) {
    await page.waitForFunction(
      (t) => document.querySelector('.red-ui-sidebar-help-stack h1.red-ui-help-title')?.textContent === t,
      title,
    );
    return page.evaluate(() => {
      const help = document.querySelector('.red-ui-sidebar-help-stack h1.red-ui-help-title + .red-ui-help');
      const sections = {};
      let current = '';
      for (const el of help.querySelectorAll('h3, dl.message-properties > dt')) {
        if (el.tagName === 'H3') {
          current = el.textContent.trim();
          sections[current] = [];
        } else if (current) {
          sections[current].push(el.firstChild.textContent.trim());
        }
      }
      return { text: help.textContent, sections };
    });
  }

  it('shows the five nodes in the palette under "M2M auth", with their icons; m2m-provider is a config node', async () => {
    const category = page.locator('#red-ui-palette-container-M2M_auth');
    const header = await page.textContent('#red-ui-palette-header-M2M_auth, #red-ui-palette-M2M_auth .red-ui-palette-header');
    assert.match(header, /M2M auth/);
    const nodes = await category.locator('.red-ui-palette-node').evaluateAll((els) =>
      els.map((el) => ({
        type: el.getAttribute('data-palette-type'),
        label: el.querySelector('.red-ui-palette-label').textContent.replace(/\s+/g, ' ').trim(),
        icon: getComputedStyle(el.querySelector('.red-ui-palette-icon')).backgroundImage,
      })),
    );
    assert.deepEqual(Object.fromEntries(nodes.map((n) => [n.type, n.label])), PALETTE);
    for (const n of nodes) {
      assert.ok(n.icon.includes(`icons/@iot-m2m/node-red-auth/${n.type}.svg`), `${n.type} icon: ${n.icon}`);
      const svg = await (await fetch(new URL(`icons/@iot-m2m/node-red-auth/${n.type}.svg`, nr.url))).text();
      assert.equal(svg, fs.readFileSync(path.join(ROOT, 'nodes', 'icons', `${n.type}.svg`), 'utf8'), `${n.type}: the package's icon is served`);
    }
    assert.equal(await page.evaluate(() => RED.nodes.getType('m2m-provider').category), 'config');
  });

  it('shows every flow node\'s help in the sidebar: Inputs / Outputs / Details / References and each msg property', async () => {
    for (const [type, expected] of Object.entries(HELP)) {
      const help = await paletteHelp(type);
      assert.deepEqual(Object.keys(help.sections), ['Inputs', 'Outputs', 'Details', 'References'], type);
      for (const p of expected.inputs) assert.ok(help.sections.Inputs.includes(p), `${type}: Inputs lists msg.${p} (${help.sections.Inputs})`);
      for (const p of expected.outputs) assert.ok(help.sections.Outputs.includes(p), `${type}: Outputs lists msg.${p} (${help.sections.Outputs})`);
    }
  });

  it('the provider dialog shows the fields of each preset with the provider\'s URLs as placeholders; its help is there too', async () => {
    placed.token = await place('m2m-token', 340, 200);
    await page.dblclick(`[id="${placed.token}"]`);
    await page.click('#node-input-btn-provider-add');
    await page.waitForSelector('#node-config-input-clientId', { state: 'visible' });
    // Secrets are password fields.
    for (const f of ['clientSecret', 'password', 'refreshToken']) {
      assert.equal(await page.getAttribute(`#node-config-input-${f}`, 'type'), 'password', f);
    }
    for (const [preset, fields] of Object.entries(PRESET_FIELDS)) {
      await page.selectOption('#node-config-input-preset', preset);
      assert.deepEqual((await visibleFields()).sort(), [...fields].sort(), preset);
      assert.equal(await page.getAttribute('#node-config-input-tokenUrl', 'placeholder'), TOKEN_URL_PLACEHOLDER[preset], preset);
      // Unlock logins: with the UWS login only (issue 12).
      assert.equal(await page.isVisible('#m2m-unlock-logins'), fields.includes('password'), `${preset}: Unlock logins`);
    }
    // The state store: an m2m-store select (empty = the local store).
    assert.ok(await page.isVisible('#node-config-input-store'), 'State store select');
    // The generic preset needs a token URL: highlighted as soon as it is chosen.
    assert.match(await page.getAttribute('#node-config-input-tokenUrl', 'class'), /input-error/);
    await page.selectOption('#node-config-input-preset', 'insights-hub');
    assert.match(await page.getAttribute('#node-config-input-appName', 'class'), /input-error/);
    assert.equal(await page.getAttribute('#node-config-input-baseUrl', 'placeholder'), 'https://gateway.eu1.mindsphere.io');

    // The config node's help, from the dialog's help button.
    await page.click('#node-config-dialog .red-ui-tray-footer button:has(i.fa-book), .red-ui-tray-footer button:has(i.fa-book)');
    const help = await helpSection('m2m-provider');
    assert.ok(help.sections.Details, 'm2m-provider help has Details');
    assert.ok(help.sections.References, 'm2m-provider help has References');
    assert.match(help.text, /Test connection/);
  });

  it('Test connection against the emulator: the provider\'s error for a wrong secret, then ok with the token\'s lifetime', async () => {
    await page.selectOption('#node-config-input-preset', 'thingspace-core');
    assert.deepEqual((await visibleFields()).sort(), ['introspectUrl', 'revokeUrl']);
    await page.fill('#node-config-input-name', 'ThingSpace core (emulator)');
    await page.fill('#node-config-input-baseUrl', emu.baseUrl('thingspace-core'));
    await page.fill('#node-config-input-clientId', DEMO.clientId);
    await page.fill('#node-config-input-clientSecret', 'not-the-secret');
    assert.match(await testConnection(), /^failed: invalid_client \(.*HTTP 401/);
    assert.equal(await page.getAttribute('#m2m-test-status', 'class'), 'm2m-authcode-error');

    await page.fill('#node-config-input-clientSecret', DEMO.clientSecret);
    assert.equal(await testConnection(), 'ok, token valid 30 d');
    assert.equal(emu.count('thingspace-core', 'token'), 2);
    const status = await page.textContent('#m2m-test-status');
    for (const token of emu.state.tokens.keys()) assert.ok(!status.includes(token), 'no token in the dialog');
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(SHOTS, 'provider-dialog.png') });

    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
  });

  it('the read device dialog highlights a bad IMEI and says why', async () => {
    placed.device = await place('m2m-device', 540, 200);
    await page.dblclick(`[id="${placed.device}"]`);
    await page.waitForSelector('#node-input-devices', { state: 'visible' });
    // Node-RED validates a field on keyup and change: a typed value, ending in a keyup.
    await page.fill('#node-input-devices', '864508030149261, 864508030149262');
    await page.dispatchEvent('#node-input-devices', 'keyup');
    await page.waitForSelector('#m2m-device-problem', { state: 'visible' });
    assert.match(await page.getAttribute('#node-input-devices', 'class'), /input-error/);
    assert.equal(
      (await page.textContent('#m2m-device-problem')).trim(),
      '864508030149262 is not a valid IMEI: its last digit is not the Luhn check digit',
    );
    await page.fill('#node-input-devices', DEVICES.join(', '));
    await page.dispatchEvent('#node-input-devices', 'keyup');
    assert.doesNotMatch((await page.getAttribute('#node-input-devices', 'class')) ?? '', /input-error/);
    assert.equal(await page.isVisible('#m2m-device-problem'), false);
    // The provider created in the get token node's dialog.
    await page.selectOption('#node-input-provider', { label: 'ThingSpace core (emulator)' });
    await page.click('#node-dialog-ok');
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).valid, placed.device), true);
  });

  it('a flow built from the palette, deployed and triggered, shows the telemetry in the debug sidebar', async () => {
    placed.inject = await place('inject', 160, 200);
    placed.debug = await place('debug', 740, 200);
    await wire(placed.inject, placed.token);
    await wire(placed.token, placed.device);
    await wire(placed.device, placed.debug);
    const labels = await page.evaluate(
      (ids) => ids.map((id) => document.querySelector(`[id="${id}"] .red-ui-flow-node-label`).textContent.trim()),
      [placed.token, placed.device],
    );
    assert.deepEqual(labels, ['get token', 'read device · 3']);

    const logged = nr.logs.length;
    await page.click('#red-ui-header-button-deploy');
    await page.waitForFunction(() => !window.RED.nodes.dirty());
    await nr.waitForLog(/Started flows/, logged);

    await page.click(`[id="${placed.inject}"] .red-ui-flow-node-button`);
    await page.waitForFunction(() => document.querySelectorAll('#red-ui-sidebar-content .red-ui-debug-msg, .red-ui-debug-content .red-ui-debug-msg').length >= 3);
    const shown = await page.$$eval('.red-ui-debug-msg', (els) => els.map((e) => e.textContent));
    assert.equal(shown.length, 3);
    // One message per device, its topic the device's.
    assert.deepEqual(
      shown.map((text) => /thingspace-core\/devices\/([0-9a-f-]+) : msg\.payload : Object/.exec(text)?.[1]).sort(),
      [...DEVICES].sort(),
    );
    // One message opened, as a user looks at it: the normalized telemetry, numbers as numbers.
    await page.locator('.red-ui-debug-msg .red-ui-debug-msg-object-handle').first().click();
    const opened = await page.locator('.red-ui-debug-msg').first().textContent();
    assert.match(opened, /temperature: (-?\d+(\.\d+)?)(?!")/);
    assert.match(opened, /location: object/);
    const status = await page.textContent(`[id="${placed.device}"] .red-ui-flow-node-status-label`);
    assert.match(status, /^3 read · \d\d:\d\d:\d\d$/);
    assert.match(await page.textContent(`[id="${placed.token}"] .red-ui-flow-node-status-label`), /^token ok · 30 d$/);
    // For the picture: the flow where it was placed (opening a dialog scrolls the canvas to the
    // node it edits), the notifications dismissed, the info tab above the debug messages.
    await page.evaluate(() => {
      const chart = document.getElementById('red-ui-workspace-chart');
      chart.scrollTop = 0;
      chart.scrollLeft = 0;
      RED.sidebar.show('info');
    });
    for (const n of await page.locator('.red-ui-notification').all()) await n.click().catch(() => {});
    // Selected, so the info tab shows the node's properties.
    await page.click(`[id="${placed.device}"] .red-ui-flow-node`);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-notification').length === 0);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'telemetry-flow.png') });
  });

  it('in Japanese and German (the editor\'s language setting): palette labels, dialog and help come from the catalogs', async () => {
    const expected = {
      ja: { palette: ['トークン取得', 'テナント一覧', 'M2Mセッション', 'デバイス読み取り', 'トークン失効'], test: '接続テスト', inputs: '入力' },
      de: { palette: ['Token holen', 'Tenants auflisten', 'M2M-Sitzung', 'Gerät lesen', 'widerrufen'], test: 'Verbindung testen', inputs: 'Eingangsdaten' },
    };
    for (const [lang, want] of Object.entries(expected)) {
      const other = await browser.context.newPage();
      try {
        await other.addInitScript((l) => localStorage.setItem('editor-language', l), lang);
        await other.goto(nr.url);
        await other.waitForFunction(() => document.querySelector('#red-ui-palette-container-M2M_auth .red-ui-palette-node'), null, {
          timeout: 30_000,
        });
        const labels = await other.$$eval('#red-ui-palette-container-M2M_auth .red-ui-palette-label', (els) =>
          // The palette breaks long labels after a hyphen.
          els.map((e) => e.textContent.replace(/\s*-\s*/g, '-').replace(/\s+/g, ' ').trim()),
        );
        assert.deepEqual(labels, want.palette, lang);
        // The deployed flow's provider dialog.
        await other.dblclick(`[id="${placed.token}"]`);
        await other.click('#node-input-btn-provider-edit, #node-input-edit-provider');
        await other.waitForSelector('#m2m-test-connection', { state: 'visible' });
        assert.equal((await other.textContent('#m2m-test-connection')).trim(), want.test, lang);
        const help = await other.evaluate(() => RED.nodes.getNodeHelp('m2m-token'));
        assert.match(help, new RegExp(`<h3>${want.inputs}</h3>`), lang);
      } finally {
        await other.close();
      }
    }
  });

  it('after the deploy, Test connection uses the stored secret the dialog does not show', async () => {
    const before = emu.count('thingspace-core', 'token');
    await page.dblclick(`[id="${placed.token}"]`);
    await page.click('#node-input-btn-provider-edit, #node-input-edit-provider');
    await page.waitForSelector('#node-config-input-clientSecret', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-clientSecret'), '__PWRD__');
    assert.equal(await testConnection(), 'ok, token valid 30 d');
    assert.equal(emu.count('thingspace-core', 'token'), before + 1);
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');
  });
});
