'use strict';
/**
 * The "M2M auth" operations sidebar in chromium: Node-RED 5 as a real process with the
 * package (its plugin), the emulator as every provider. Cards appear for every deployed
 * provider node, a failure shows within 2 s (pushed over comms), Refresh token now and
 * Unlock logins answer in the card, and a read-only user (adminAuth) sees the cards
 * without buttons.
 *
 * docs/sidebar.png (the README shows it) is written with M2M_SCREENSHOTS=docs
 * (`npm run screenshots`); otherwise the screenshot goes to test-results/screenshots/.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { startNodeRed } = require('../support/node-red-process.js');
const { sidebarFlow, ACCOUNTS } = require('../support/sidebar-flow.js');
const { launchChromium } = require('./chromium.js');

const ROOT = path.join(__dirname, '..', '..');
const SHOTS = process.env.M2M_SCREENSHOTS === 'docs' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test-results', 'screenshots');

function bcryptHash(password) {
  const bcrypt = require(require.resolve('bcryptjs', { paths: [path.dirname(require.resolve('node-red'))] }));
  return bcrypt.hashSync(password, 8);
}

/** Opens the editor, shows the M2M auth tab and waits for its cards. */
async function openSidebar(page, url, count) {
  if (url) await page.goto(url);
  // Loaded: the progress bar is gone and the header toolbar shows (the editor's own end of loading).
  await page.waitForFunction(
    () => window.RED && RED.sidebar?.containsTab?.('m2m-auth') && !$('#red-ui-loading-progress').is(':visible') && !$('#red-ui-header-toolbar').hasClass('hide'),
    null,
    { timeout: 30_000 },
  );
  await showTab(page);
  await page.waitForFunction((n) => document.querySelectorAll('.m2m-auth-card').length === n, count);
}

/** Brings the M2M auth tab to the front (the editor may have shown another one meanwhile). */
async function showTab(page) {
  await page.evaluate(() => RED.sidebar.show('m2m-auth'));
  await page.waitForFunction(() => document.querySelector('.m2m-auth-sidebar')?.offsetParent != null);
}

const card = (page, id) => page.locator(`.m2m-auth-card[data-id="${id}"]`);

describe('operations sidebar in the editor (chromium, Node-RED 5 process, emulator)', function () {
  let emu;
  let nr;
  let browser;
  let page;

  before(async () => {
    emu = await startEmulator();
    nr = await startNodeRed({});
    await nr.deploy(sidebarFlow(emu));
    const tips = await nr.api('settings/user', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ editor: { view: { 'view-show-tips': false } } }),
    });
    assert.equal(tips.status, 204);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    browser.context.setDefaultTimeout(15_000);
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterEach(async function () {
    if (this.currentTest.state === 'failed' && page) {
      const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'test-results', `failed-sidebar-${name}.png`) }).catch(() => {});
    }
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  /**
   * docs/sidebar.png: the flow beside the sidebar with every kind of card (healthy, failed,
   * blocked); the palette column and the debug section are hidden and the sidebar widened,
   * so the cards read at README size. The layout is put back afterwards.
   */
  async function screenshot() {
    const left = page.locator('.red-ui-sidebar-toggle-button-left');
    const debugTab = page.locator('[data-tab-id="debug"]').first();
    await left.click();
    await debugTab.click(); // the active tab's button hides its section
    const sep = await page.locator('#red-ui-sidebar-separator').boundingBox();
    await page.mouse.move(sep.x + sep.width / 2, sep.y + sep.height / 2);
    await page.mouse.down();
    await page.mouse.move(sep.x - 170, sep.y + sep.height / 2, { steps: 8 });
    await page.mouse.up();
    // From the ThingSpace core card down: a failed token request, a blocked login, a live session.
    await page.evaluate(() => {
      document.activeElement?.blur();
      document.querySelector('.m2m-auth-card[data-id="p-core"]').scrollIntoView({ block: 'start' });
    });
    await page.waitForTimeout(700); // the sidebar's resize settles
    await page.screenshot({ path: path.join(SHOTS, 'sidebar.png') });
    await left.click();
    await debugTab.click();
  }

  it('shows one card per deployed provider node: name, preset, account, store, buttons', async () => {
    await openSidebar(page, nr.url, Object.keys(ACCOUNTS).length);
    for (const [id, a] of Object.entries(ACCOUNTS)) {
      const c = card(page, id);
      assert.equal((await c.locator('.m2m-auth-name').textContent()).trim(), a.name);
      assert.match(await c.locator('[data-field="account"]').textContent(), /demo-client/);
      assert.match(await c.locator('[data-field="store"]').textContent(), /local/);
      assert.equal(await c.locator('button.m2m-auth-refresh').count(), 1);
      assert.equal(await c.locator('button.m2m-auth-unlock').count(), a.preset === 'thingspace' ? 1 : 0, id);
    }
  });

  it('live: a token fetch and a session login show up without a reload', async () => {
    await nr.inject('i-token-core');
    await nr.inject('i-device-ts');
    await page.waitForFunction(() => /1 cached/.test(document.querySelector('.m2m-auth-card[data-id="p-core"] [data-field="tokens"]')?.textContent ?? ''));
    await page.waitForFunction(() => /active/.test(document.querySelector('.m2m-auth-card[data-id="p-ts"] [data-field="session"]')?.textContent ?? ''));
    const routes = await card(page, 'p-ts').locator('tr[data-route]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-route')));
    assert.deepEqual(routes.sort(), ['M2M device list', 'M2M session login', 'token request']);
  });

  it('a forced failure shows in the card within 2 s', async () => {
    emu.fault({ provider: 'thingspace-core', route: 'token', status: 401, body: { error: 'invalid_client', error_description: 'client disabled' } });
    const started = Date.now();
    await nr.inject('i-refresh-core');
    await page.waitForFunction(
      () => /invalid_client/.test(document.querySelector('.m2m-auth-card[data-id="p-core"] [data-field="lastError"]')?.textContent ?? ''),
      null,
      { timeout: 2000 },
    );
    const took = Date.now() - started;
    assert.ok(took < 2000, `${took} ms`);
    console.log(`      the failure reached the card ${took} ms after the inject`);
    assert.match(await card(page, 'p-core').locator('[data-field="lastError"]').textContent(), /client disabled/);
  });

  it('Refresh token now: a new token, the answer in the card', async () => {
    const before = emu.state.counts.get('thingspace-core token') ?? 0;
    await showTab(page);
    await card(page, 'p-core').locator('button.m2m-auth-refresh').click();
    await page.waitForFunction(() => /New token, valid for/.test(document.querySelector('.m2m-auth-card[data-id="p-core"] .m2m-auth-answer')?.textContent ?? ''));
    assert.equal(emu.state.counts.get('thingspace-core token'), before + 1);
  });

  it('Unlock logins: a blocked account is unlocked from the card', async () => {
    await nr.inject('i-device-ts-bad');
    await page.waitForFunction(() => /1 of 2/.test(document.querySelector('.m2m-auth-card[data-id="p-ts-bad"] [data-field="lockout"]')?.textContent ?? ''));
    await nr.inject('i-device-ts-bad');
    await page.waitForFunction(() => /blocked/.test(document.querySelector('.m2m-auth-card[data-id="p-ts-bad"] [data-field="lockout"]')?.textContent ?? ''));
    assert.ok(await card(page, 'p-ts-bad').evaluate((el) => el.classList.contains('m2m-bad')));
    await showTab(page);
    await screenshot();
    await card(page, 'p-ts-bad').locator('button.m2m-auth-unlock').click();
    await page.waitForFunction(() => /Logins unlocked/.test(document.querySelector('.m2m-auth-card[data-id="p-ts-bad"] .m2m-auth-answer')?.textContent ?? ''));
    await page.waitForFunction(() => /0 of 2/.test(document.querySelector('.m2m-auth-card[data-id="p-ts-bad"] [data-field="lockout"]')?.textContent ?? ''));
    assert.match(await card(page, 'p-ts-bad').locator('[data-field="lockout"]').textContent(), /open/);
  });

  it('Revoke: the token is revoked at the provider, the card shows none cached', async () => {
    await showTab(page);
    await card(page, 'p-core').locator('button.m2m-auth-revoke').click();
    await page.waitForFunction(() => /Token revoked at the provider/.test(document.querySelector('.m2m-auth-card[data-id="p-core"] .m2m-auth-answer')?.textContent ?? ''));
    await page.waitForFunction(() => /^0 cached/.test(document.querySelector('.m2m-auth-card[data-id="p-core"] [data-field="tokens"]')?.textContent ?? ''));
    assert.equal(emu.state.counts.get('thingspace-core revoke'), 1);
  });

  describe('a read-only user (adminAuth)', function () {
    let secured;
    let viewerBrowser;
    before(async () => {
      secured = await startNodeRed({
        settings: {
          adminAuth: {
            type: 'credentials',
            users: [
              { username: 'admin', password: bcryptHash('admin-pass-1'), permissions: '*' },
              { username: 'viewer', password: bcryptHash('viewer-pass-1'), permissions: 'read' },
            ],
          },
        },
      });
      const login = await secured.api('auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password: 'admin-pass-1' }),
      });
      const { access_token: token } = await login.json();
      const res = await secured.api('flows', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify({ flows: sidebarFlow(emu) }),
      });
      assert.equal(res.status, 200, await res.text());
      viewerBrowser = await launchChromium();
      viewerBrowser.context.setDefaultTimeout(15_000);
    });
    after(async () => {
      await viewerBrowser?.close();
      await secured?.stop();
      secured?.cleanup();
    });

    it('sees every card, and no button', async () => {
      const p = viewerBrowser.context.pages()[0] ?? (await viewerBrowser.context.newPage());
      await p.goto(secured.url);
      await p.fill('#node-dialog-login-username', 'viewer');
      await p.fill('#node-dialog-login-password', 'viewer-pass-1');
      await p.click('#node-dialog-login-submit');
      try {
        await openSidebar(p, null, Object.keys(ACCOUNTS).length);
      } catch (e) {
        await p.screenshot({ path: path.join(ROOT, 'test-results', 'failed-sidebar-viewer.png') }).catch(() => {});
        throw e;
      }
      assert.equal(await p.locator('.m2m-auth-card').first().isVisible(), true);
      assert.equal(await p.locator('.m2m-auth-card button').count(), 0);
      assert.equal(await p.locator('.m2m-auth-actions').count(), 0);
      assert.equal(await p.evaluate(() => RED.user.hasPermission('m2m-provider.write')), false);
    });
  });
});
