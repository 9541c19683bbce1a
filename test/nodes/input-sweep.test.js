'use strict';
/**
 * Bad input: every msg property a node reads (deviceId, payload, tenant, refresh, headers),
 * given wrong types, empty strings, huge arrays and strings, and objects with prototype
 * keys → one done(err) with a clear error naming the property, no request sent, no crash,
 * no polluted prototype, and the node still works for the next message.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, redVersion } = require('../helpers/red.js');
const { emulatorSuite, waitFor, SEED_UUID } = require('../helpers/session-fixtures.js');
const { KINDS, failureText, kindFlow, kindCredentials, watch } = require('../support/node-kinds.js');
const { ioTurns } = require('../support/fake-clock.js');

const withProtoKeys = () => JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}');
const hugeArray = () => Array.from({ length: 100_000 }, (_, i) => `dev-${i}`);
const hugeString = () => 'x'.repeat(1_000_000);

/** Values of the wrong kind for a property that wants a string. */
const NOT_A_STRING = {
  'a number': () => 42,
  'a boolean': () => true,
  'an object': () => ({}),
  'an object with __proto__ and constructor keys': withProtoKeys,
  'an array': () => ['tenant1'],
  'a huge array (100,000 entries)': hugeArray,
  'a function': () => () => 'x',
};

/** property → the node kinds that read it, the bad values, and the error each must give. */
const SWEEP = [
  {
    property: 'tenant',
    kinds: ['token', 'inspect', 'revoke'],
    values: { ...NOT_A_STRING, 'an empty string': () => '', 'a huge string (1 MB)': hugeString, 'a path': () => '../admin' },
    code: () => 'invalid_tenant',
  },
  {
    property: 'refresh',
    kinds: ['token', 'tenants'],
    values: {
      'the string "true"': () => 'true',
      'an empty string': () => '',
      'a number': () => 1,
      'an object with __proto__ and constructor keys': withProtoKeys,
      'a huge array (100,000 entries)': hugeArray,
    },
    code: () => 'invalid_input',
  },
  {
    property: 'headers',
    kinds: ['token', 'session'],
    values: {
      'an empty string': () => '',
      'a header line as a string': () => 'Authorization: Basic x',
      'a number': () => 42,
      'a boolean': () => true,
      'an array': () => [['Authorization', 'x']],
      'a huge array (100,000 entries)': hugeArray,
    },
    code: () => 'invalid_input',
  },
  {
    property: 'deviceId',
    kinds: ['device-core', 'device-m2m'],
    values: {
      'an empty string': () => '',
      'blanks': () => '   ',
      'an empty array': () => [],
      'a boolean': () => true,
      'an object': () => ({}),
      'an object with __proto__ and constructor keys': withProtoKeys,
      'a huge array (100,000 entries)': hugeArray,
      'an array with an object in it': () => [SEED_UUID, {}],
      'an array with null in it': () => [SEED_UUID, null],
      'a function': () => () => SEED_UUID,
      'a huge string (1 MB)': hugeString,
      'NaN': () => NaN,
      'a negative number': () => -5,
      'a fraction': () => 1.5,
    },
    code: (label) => (/^(a huge string|NaN|a negative number|a fraction)/.test(label) ? 'invalid_device_id' : 'invalid_input'),
  },
  {
    property: 'payload',
    kinds: ['device-core'],
    node: { devices: '' }, // nothing configured: the payload is all there is
    values: {
      'an empty string': () => '',
      'an object with __proto__ and constructor keys': withProtoKeys,
      'a huge array (100,000 entries)': hugeArray,
      'a huge comma-separated string (100,000 ids)': () => hugeArray().join(','),
      'an array with an object in it': () => [SEED_UUID, {}],
      'a huge string (1 MB)': hugeString,
    },
    code: (label) => (label === 'a huge string (1 MB)' ? 'invalid_device_id' : 'invalid_input'),
  },
];

describe(`bad input: every msg property every node reads (Node-RED ${redVersion()})`, function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });

  async function load(kind, node) {
    KINDS[kind].setup?.(emu);
    await helper.load([...ALL, catchNode], kindFlow(kind, emu, { node }), kindCredentials(kind));
    return watch(helper);
  }

  async function send(seen, msg) {
    const before = seen.total();
    helper.getNode('n').receive(msg);
    await waitFor(() => seen.total() > before, 'an outcome');
    await ioTurns(10); // anything late (a second outcome) would show up within a few turns of the event loop
  }

  for (const { property, kinds, values, code, node } of SWEEP) {
    for (const kind of kinds) {
      describe(`msg.${property} → ${KINDS[kind].title}`, function () {
        for (const [label, make] of Object.entries(values)) {
          const expected = code(label);
          it(`${label} → ${expected} naming msg.${property}, no request`, async () => {
            const seen = await load(kind, node);
            await send(seen, { [property]: make() });
            assert.equal(seen.total(), 1, 'exactly one outcome');
            assert.equal(seen.caught.length, 1, `an error, not an output: ${JSON.stringify(seen.out[0]?.payload)?.slice(0, 200)}`);
            const { error } = seen.caught[0];
            assert.equal(error.code, expected, error.message);
            assert.match(error.message, new RegExp(`msg\\.${property}\\b`), error.message);
            assert.ok(error.message.length < 400, `a short message, not the input echoed: ${error.message.length} characters`);
            assert.deepEqual(seen.statuses.at(-1), { fill: 'red', shape: 'ring', text: failureText(kind, expected) });
            assert.equal(emu.state.log.length, 0, `no request: ${JSON.stringify(emu.state.log)}`);
            assert.equal({}.polluted, undefined, 'Object.prototype untouched');
            // The node keeps working.
            await send(seen, kind === 'device-core' && node ? { deviceId: SEED_UUID } : {});
            assert.equal(seen.out.length, 1, `the next message went out: ${JSON.stringify(seen.caught.at(-1)?.error)}`);
          });
        }
      });
    }
  }

  for (const kind of ['token', 'session']) {
    it(`${KINDS[kind].title}: __proto__ and constructor keys in msg.headers are dropped, not merged`, async () => {
      const seen = await load(kind);
      await send(seen, { headers: { ...withProtoKeys(), 'x-keep': '1' } });
      const [out] = seen.out;
      assert.ok(out, JSON.stringify(seen.caught[0]?.error));
      assert.deepEqual(Object.keys(out.headers).filter((k) => !/^(authorization|vz-m2m-token)$/i.test(k)), ['x-keep']);
      assert.equal(out.headers.polluted, undefined);
      assert.equal({}.polluted, undefined);
    });
  }
});
