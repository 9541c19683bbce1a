'use strict';
/**
 * The example "ThingSpace - tracker telemetry into a MariaDB or MySQL table (emulator)" end
 * to end: a real MariaDB (Debian's mariadb-server, started here on a free port with its data
 * in a temp dir, stopped by pid), the flow as shipped in a real Node-RED 5 process with
 * node-red-node-mysql, the emulator as ThingSpace. The rows are read back with SQL and their
 * count and typed values checked; the README's hourly query is the flow's.
 *
 * Skipped with a notice where mariadbd is not installed; CI (.ci/run) installs it.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { startMariaDb, mariadbServerPath } = require('../support/mariadb.js');

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'ThingSpace - tracker telemetry into a MariaDB or MySQL table (emulator).json');
const TRACKERS = {
  'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0': 'Asset-Tracker-2',
  '7c1f3a52-0d4e-4b8a-9e26-5a3b1c9d8e40': 'Asset-Tracker-3',
  '3f9a1c5e-7b2d-4c8e-a1f6-9d0e2b4c6a81': 'Cold-Chain-1',
};
/**
 * What the emulator answers with drift off: the seed record's values, at the seed's
 * reading time (src/emulator/providers/thingspace-devices.ts), as the table types them.
 */
const SEED_READ_AT = '2018-10-05 20:11:35.803';
const SEED_ROWS = {
  'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0': { temperature: 23.2, humidity: 37, light: 77, battery: 100, signal_dbm: -103, latitude: 39.096138, longitude: -77.5865249 },
  '7c1f3a52-0d4e-4b8a-9e26-5a3b1c9d8e40': { temperature: 21.4, humidity: 44, light: 120, battery: 86, signal_dbm: -97, latitude: 39.2903848, longitude: -76.6121893 },
  '3f9a1c5e-7b2d-4c8e-a1f6-9d0e2b4c6a81': { temperature: 31.2, humidity: 61, light: 3, battery: 64, signal_dbm: -109, latitude: 38.9071923, longitude: -77.0368707 },
};
/** The columns and their types, as information_schema names them. */
const COLUMN_TYPES = {
  id: 'bigint(20) unsigned',
  device_id: 'varchar(64)',
  read_at: 'datetime(3)',
  temperature: 'decimal(6,2)',
  humidity: 'decimal(5,2)',
  light: 'decimal(9,2)',
  battery: 'tinyint(3) unsigned',
  signal_dbm: 'smallint(6)',
  latitude: 'decimal(10,7)',
  longitude: 'decimal(10,7)',
};

const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
const byName = (name) => example.find((n) => n.name === name);

/** Resolves when `check()` is truthy (returns its value); fails after `ms` with `what`. */
async function until(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('end to end: tracker telemetry into MariaDB (node-red-node-mysql, the example flow)', function () {
  this.timeout(60_000);
  let db;
  let emu;
  let nr;
  let comms;
  const reads = () => emu.state.count('thingspace-core', 'device');
  const count = async (where = '1') => Number((await db.query(`SELECT COUNT(*) AS n FROM telemetry.tracker_readings WHERE ${where}`))[0].n);

  before(async function () {
    if (!mariadbServerPath()) {
      console.log('    database test skipped: no mariadbd (apt-get install -y mariadb-server, or set MARIADBD_PATH)');
      this.skip();
    }
    db = await startMariaDb();
    // The setup the example's description asks for, with the example's own database, user and password.
    const config = example.find((n) => n.type === 'MySQLdatabase');
    await db.query(`CREATE DATABASE ${config.db}`);
    await db.query("CREATE USER ?@'127.0.0.1' IDENTIFIED BY ?", [config.credentials.user, config.credentials.password]);
    await db.query(`GRANT SELECT, INSERT, UPDATE, CREATE ON ${config.db}.* TO ?@'127.0.0.1'`, [config.credentials.user]);
    emu = await startEmulator();
    // The seed's fixed values and reading time first: every poll reads the same reading.
    await deviceDrift(false);
    nr = await startNodeRedProcess();
    comms = await nr.comms();
  });
  after(async () => {
    comms?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
    await db?.stop();
  });

  function deviceDrift(on) {
    return fetch(`${emu.url}/_emulator/thingspace-core/devices/drift`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drift: on }),
    }).then((r) => assert.equal(r.status, 200));
  }

  it('creates the table if missing, with typed columns and one row per device and reading time', async () => {
    // As shipped, but pointed at this run's emulator and database, and polling every second (it polls every 10 s).
    const flow = JSON.parse(JSON.stringify(example).replaceAll('http://127.0.0.1:1881', emu.url));
    Object.assign(flow.find((n) => n.type === 'MySQLdatabase'), { port: String(db.port) });
    const every = flow.find((n) => n.name === 'every 10 s');
    assert.equal(every.repeat, '10');
    every.repeat = '1';
    // The insert node's answers in the debug pane: the test counts the writes.
    flow.find((n) => n.name === 'written').active = true;
    await nr.deploy(flow);
    const ready = await comms.waitFor((m) => m.topic === 'debug' && m.data?.id === byName('table ready').id, 15_000);
    assert.match(JSON.parse(ready.data.msg).topic, /^CREATE TABLE IF NOT EXISTS tracker_readings/);

    const columns = await db.query(
      "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'telemetry' AND TABLE_NAME = 'tracker_readings' ORDER BY ORDINAL_POSITION",
    );
    assert.deepEqual(Object.fromEntries(columns.map((c) => [c.name, c.type])), COLUMN_TYPES);
    const unique = await db.query(
      "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'telemetry' AND TABLE_NAME = 'tracker_readings' AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'",
    );
    assert.equal(unique[0].cols, 'device_id,read_at');
  });

  it('stores each reading once, with the values the emulator sent, as numbers', async () => {
    // Three polls or more of the unchanged reading, every write answered: three rows, not nine.
    const written = () => comms.messages.filter((m) => m.topic === 'debug' && m.data?.id === byName('written').id);
    await until(() => written().length >= 9, 15_000, 'nine answered writes');
    assert.ok(written().every((m) => m.data.msg === '1'), 'each write succeeded');
    assert.equal(await count(), 3);
    assert.ok(reads() >= 9);

    const conn = await db.connect({ user: 'nodered', password: 'change-me', database: 'telemetry', decimalNumbers: true });
    try {
      const [rows] = await conn.query('SELECT * FROM tracker_readings ORDER BY device_id');
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.ok(TRACKERS[row.device_id], row.device_id);
        assert.equal(row.read_at, SEED_READ_AT);
        const { id, device_id: _d, read_at: _r, ...values } = row;
        assert.equal(typeof id, 'number');
        assert.deepEqual(values, SEED_ROWS[row.device_id], TRACKERS[row.device_id]);
      }
    } finally {
      await conn.end();
    }
  });

  it('every new reading becomes a row; the hourly maximum query answers per device', async () => {
    await deviceDrift(true);
    await until(async () => (await count()) >= 3 + 3 * 3, 20_000, 'nine more rows');
    const perDevice = await db.query('SELECT device_id, COUNT(*) AS n, MIN(read_at) AS first, MAX(read_at) AS last FROM telemetry.tracker_readings GROUP BY device_id');
    assert.deepEqual(perDevice.map((r) => r.device_id).sort(), Object.keys(TRACKERS).sort());
    for (const r of perDevice) assert.ok(Number(r.n) >= 4, `${r.device_id}: ${r.n} rows`);
    // Drifting readings are stamped now (UTC): within a minute of this clock.
    const newest = await db.query("SELECT MAX(read_at) AS t FROM telemetry.tracker_readings");
    assert.ok(Math.abs(Date.parse(`${newest[0].t.replace(' ', 'T')}Z`) - Date.now()) < 60_000, newest[0].t);
    const typed = await db.query('SELECT COUNT(*) AS n FROM telemetry.tracker_readings WHERE temperature IS NULL OR battery IS NULL OR latitude IS NULL OR signal_dbm IS NULL');
    assert.equal(Number(typed[0].n), 0);

    // The flow's hourly query (the README shows it) against the same table, through the node.
    const hourly = byName('hourly maximum per device');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(hourly.topic), 'the README shows the flow\'s hourly query');
    const from = comms.messages.length;
    assert.equal((await nr.inject(hourly.id)).status, 200);
    const answer = await comms.waitFor((m) => comms.messages.indexOf(m) >= from && m.topic === 'debug' && m.data?.id === byName('hourly maximum').id, 10_000);
    const result = JSON.parse(answer.data.msg);
    // Only the drifting rows are from the last day; the seed's reading is from 2018.
    const expected = await db.query(
      "SELECT device_id, MAX(temperature) AS max_temperature, COUNT(*) AS readings FROM telemetry.tracker_readings WHERE read_at >= UTC_TIMESTAMP() - INTERVAL 1 DAY GROUP BY device_id",
    );
    const got = new Map();
    for (const r of result) {
      assert.match(r.hour_utc, /^\d{4}-\d\d-\d\d \d\d:00$/);
      assert.equal(typeof r.max_temperature, 'number');
      const g = got.get(r.device_id) ?? { max: -Infinity, readings: 0 };
      got.set(r.device_id, { max: Math.max(g.max, r.max_temperature), readings: g.readings + r.readings });
    }
    // The query ran a moment before this one: rows written since may only add.
    for (const e of expected) {
      const g = got.get(e.device_id);
      assert.ok(g, e.device_id);
      assert.ok(g.readings <= Number(e.readings) && g.readings >= 3, `${e.device_id}: ${g.readings} of ${e.readings}`);
      assert.ok(g.max <= Number(e.max_temperature) + 1e-9, `${e.device_id}: ${g.max} vs ${e.max_temperature}`);
    }
    // Nothing reached the Catch node.
    const errors = comms.messages.filter((m) => m.topic === 'debug' && m.data?.id === byName('errors').id);
    assert.deepEqual(errors.map((m) => m.data.msg), []);
  });
});
