'use strict';
/**
 * The live dashboard of `npm start` (Dashboard 2.0, example "ThingSpace - live telemetry
 * dashboard (emulator)") as a user opens it: Node-RED 5 as a real process with the demo's
 * settings, the emulator as ThingSpace, the page in chromium with every request that does
 * not go to 127.0.0.1 refused (the dashboard must work without internet access).
 *
 * Checks that each tracker's chart received temperature points and the 30 °C line over
 * the dashboard's socket and drew both lines on its canvas, and that the gauges, the
 * latest readings table and the alert list show the emulator's values, and that no secret
 * (credentials, Basic value, issued tokens) is in anything the dashboard sent the browser.
 *
 * Screenshot: test-results/screenshots/dashboard.png, or docs/dashboard.png (the README
 * shows it) with M2M_SCREENSHOTS=docs (`npm run screenshots`).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { deviceSettings } = require('../../dist/emulator/providers/thingspace-devices.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { dashboardUrls, DEMO_SETTINGS } = require('../../scripts/start.js');
const { launchChromium } = require('./chromium.js');

const ROOT = path.join(__dirname, '..', '..');
const SHOTS = process.env.M2M_SCREENSHOTS === 'docs' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test-results', 'screenshots');
const EXAMPLE = path.join(ROOT, 'examples', 'ThingSpace - live telemetry dashboard (emulator).json');
const TRACKERS = { tracker2: 'Asset-Tracker-2', tracker3: 'Asset-Tracker-3', coldchain1: 'Cold-Chain-1' };
const ALERT_SERIES = '30 °C alert';
/** The chart's series colours in the example (temperature, alert line) as RGB. */
const BLUE = [0x00, 0x95, 0xff];
const RED = [0xe5, 0x48, 0x4d];
/** Points each chart must have received before the checks (and the screenshot) go on. */
const POINTS = 16;
/**
 * How much faster the emulated trackers' values drift than the clock: a 10-minute temperature
 * swing (src/emulator/providers/thingspace-devices.ts) in 20 s of polling, so the charts show a
 * curve and Cold-Chain-1 crosses the 30 °C line. Reading times stay real.
 */
const DRIFT_SPEED = 30;

/** The example pointed at this run's emulator, polling every second so that points come within seconds (it polls every 10 s). */
function exampleFlow(emulatorUrl) {
  const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8').replaceAll('http://127.0.0.1:1881', emulatorUrl));
  const read = flow.find((n) => n.type === 'm2m-device');
  assert.equal(read.interval, 10);
  read.interval = 1;
  return flow;
}

/** Socket.IO event packets ("42[event, data]") of a WebSocket frame; anything else is ignored. */
function socketEvents(payload) {
  const text = String(payload);
  const m = /^42(\d*)(\[.*)$/s.exec(text);
  if (!m) return [];
  try {
    return [JSON.parse(m[2])];
  } catch {
    return [];
  }
}

describe('the live dashboard (chromium, Node-RED 5 process, emulator)', function () {
  let emu;
  let nr;
  let browser;
  let page;
  let fastForward;
  /** Hosts of every request the page tried to make outside 127.0.0.1 (refused). */
  const outside = [];
  /** Every WebSocket frame the page received, as text (the secrets scan). */
  const frames = [];
  /** Chart id → points in the history its last widget-load brought (a page load). */
  const history = new Map();
  /** Chart id → Map(reading time → {tracker, temperature, '30 °C alert'}) the browser received. */
  const chartPoints = new Map(Object.keys(TRACKERS).map((k) => [`ts-dash-chart-${k}`, new Map()]));

  before(async () => {
    emu = await startEmulator();
    const drift = deviceSettings(emu.state);
    const origin = Date.now();
    fastForward = setInterval(() => {
      drift.startedAt = origin - (Date.now() - origin) * (DRIFT_SPEED - 1);
    }, 50);
    nr = await startNodeRedProcess({ settings: DEMO_SETTINGS });
    await nr.deploy(exampleFlow(emu.url));
    browser = await launchChromium();
    browser.context.setDefaultTimeout(20_000);
    await browser.context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      outside.push(url.href);
      return route.abort('internetdisconnected');
    });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        frames.push(String(payload));
        for (const [event, data] of socketEvents(payload)) {
          const [kind, id] = String(event).split(':');
          if (!chartPoints.has(id) || (kind !== 'msg-input' && kind !== 'widget-load')) continue;
          if (kind === 'widget-load') history.set(id, [].concat(data ?? []).length);
          // widget-load brings the stored history (one message per point), msg-input one
          // message with the reading's two points (temperature and the 30 °C line).
          for (const msg of [].concat(data ?? [])) {
            for (const point of [].concat(msg?.payload ?? [])) {
              if (typeof point?.time !== 'number') continue;
              const at = chartPoints.get(id).get(point.time) ?? { tracker: msg.reading?.name };
              at[point.series] = point.value;
              chartPoints.get(id).set(point.time, at);
            }
          }
        }
      }),
    );
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterEach(async function () {
    if (this.currentTest.state === 'failed' && page) {
      const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'test-results', `failed-${name}.png`), fullPage: true }).catch(() => {});
    }
  });

  after(async () => {
    clearInterval(fastForward);
    await browser?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  it('is at the URL npm start prints, /dashboard, and loads everything from Node-RED (no internet)', async () => {
    const urls = await dashboardUrls(nr.url);
    assert.deepEqual(urls, [new URL('dashboard', nr.url).href]);
    const res = await page.goto(urls[0]);
    assert.equal(res.status(), 200);
    await page.waitForURL(/\/dashboard\/trackers$/);
    for (const name of [...Object.values(TRACKERS), 'Latest readings', 'Alerts: above 30 °C']) {
      await page.getByText(name, { exact: true }).first().waitFor();
    }
    assert.deepEqual(outside, []);
  });

  it("each tracker's chart receives temperature points with the 30 °C line and draws both", async () => {
    const enough = () => [...chartPoints.values()].every((points) => points.size >= POINTS);
    for (const end = Date.now() + 45_000; !enough() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 200));
    const sizes = Object.fromEntries([...chartPoints].map(([id, points]) => [id, points.size]));
    assert.ok(enough(), `points received per chart: ${JSON.stringify(sizes)}`);
    for (const [id, points] of chartPoints) {
      const name = TRACKERS[id.replace('ts-dash-chart-', '')];
      for (const p of points.values()) {
        assert.equal(p.tracker, name, id);
        assert.equal(typeof p.temperature, 'number', id);
        assert.ok(p.temperature > 15 && p.temperature < 40, `${id}: ${p.temperature}`);
        assert.equal(p[ALERT_SERIES], 30, id);
      }
    }
    // Cold-Chain-1 runs warm, the others cool (the emulator's trackers): the line separates them.
    assert.ok([...chartPoints.get('ts-dash-chart-coldchain1').values()].some((p) => p.temperature > 30));
    assert.ok([...chartPoints.get('ts-dash-chart-tracker2').values()].every((p) => p.temperature < 30));

    await assertDrawn();
  });

  /** Drawn, not only received: both series' colours are on every chart's canvas. */
  async function assertDrawn() {
    const drawn = await page.evaluate(
      ([ids, blue, red]) =>
        ids.map((id) => {
          const canvas = document.querySelector(`#nrdb-ui-widget-${id} canvas`);
          if (!canvas) return { id, blue: 0, red: 0 };
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          const near = (i, [r, g, b]) => Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24 && data[i + 3] > 200;
          let nBlue = 0;
          let nRed = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (near(i, blue)) nBlue++;
            else if (near(i, red)) nRed++;
          }
          return { id, blue: nBlue, red: nRed };
        }),
      [[...chartPoints.keys()], BLUE, RED],
    );
    // A line across the plot is hundreds of pixels; the legend's markers alone are a few dozen.
    for (const c of drawn) assert.ok(c.blue > 200 && c.red > 200, JSON.stringify(c));
  }

  it('gauges, the latest readings table and the alert list show the emulated trackers', async () => {
    const text = (id) => page.locator(`#nrdb-ui-widget-${id}`).innerText();
    for (const key of Object.keys(TRACKERS)) {
      assert.match(await text(`ts-dash-battery-${key}`), /\d+%/);
      assert.match(await text(`ts-dash-signal-${key}`), /-\d+[\s\S]*dBm/);
    }
    const rows = page.locator('#nrdb-ui-widget-ts-dash-latest-table tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#nrdb-ui-widget-ts-dash-latest-table tbody tr').length === 3);
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
    assert.deepEqual(cells.map((c) => c[0]), Object.values(TRACKERS));
    for (const c of cells) {
      assert.match(c[1], /^\d\d:\d\d:\d\d$/, 'reading time');
      assert.ok(Number.isFinite(Number(c[2])), `°C ${c[2]}`);
      assert.match(c[7], /^-?\d+\.\d{4}, -?\d+\.\d{4}$/, 'position');
    }
    // Cold-Chain-1 starts above 30 °C: its alert is in the list.
    const alerts = await page.locator('#nrdb-ui-widget-ts-dash-alert-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.innerText));
    assert.ok(alerts.length >= 1 && alerts.every((a) => a.includes('Cold-Chain-1')), JSON.stringify(alerts));
  });

  it('screenshot', async () => {
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    assert.ok(fs.statSync(path.join(SHOTS, 'dashboard.png')).size > 10_000);
  });

  it('a reloaded page gets each chart\'s history from Node-RED and draws it', async () => {
    const received = Object.fromEntries([...chartPoints].map(([id, points]) => [id, points.size]));
    const firstReading = Math.min(...[...chartPoints.values()].flatMap((points) => [...points.keys()]));
    history.clear();
    const reloadedAt = Date.now();
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelectorAll('[id^="nrdb-ui-widget-ts-dash-chart-"] canvas').length === 3);
    for (const end = Date.now() + 10_000; history.size < 3 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    // Two points per reading (temperature and the line); readings may have come since.
    for (const [id, n] of Object.entries(received)) assert.ok(history.get(id) >= 2 * n, `${id}: ${history.get(id)} points after ${n} readings`);
    await assertDrawn();
    // Drawn from the start of the history, not from the reload on: the tooltip at the left end
    // of each plot names a reading from before the reload (the chart shows browser-local time).
    for (const id of chartPoints.keys()) {
      const at = await leftmostTooltipTime(id);
      assert.ok(at < reloadedAt - 5_000, `${id}: leftmost point ${new Date(at).toISOString()}, reload ${new Date(reloadedAt).toISOString()}`);
      assert.ok(at >= firstReading - 1_000, `${id}: ${new Date(at).toISOString()} before the first reading`);
    }
  });

  /** The time the chart's tooltip shows when the mouse is at the left end of its plot. */
  async function leftmostTooltipTime(id) {
    const box = await page.locator(`#nrdb-ui-widget-${id} canvas`).boundingBox();
    const end = Date.now() + 5_000;
    for (let i = 0; ; i++) {
      // The plot starts about a tenth into the canvas (the y axis labels are left of it).
      await page.mouse.move(box.x + box.width * (0.1 + 0.01 * (i % 5)), box.y + box.height * 0.6);
      const text = await page
        .locator(`#nrdb-ui-widget-${id} div`)
        .evaluateAll((divs) => divs.filter((d) => d.offsetParent && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(d.innerText)).map((d) => d.innerText).pop());
      if (text) return new Date(text.slice(0, 19).replace(' ', 'T')).getTime();
      if (Date.now() > end) throw new Error(`${id}: no tooltip at the left end of the plot`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('sends the browser no secret: credentials, Basic value and every token the emulator issued', async () => {
    const secrets = secretsOf(emu);
    assert.ok(emu.state.tokens.size >= 1, 'the flow fetched a token');
    assert.ok(frames.length > 20, `${frames.length} frames`);
    assert.deepEqual(leaks(frames.join('\n'), secrets), []);
    assert.deepEqual(leaks(await page.content(), secrets), []);
    assert.ok(!frames.some((f) => /authorization|bearer /i.test(f)), 'no auth header in a dashboard message');
  });
});
