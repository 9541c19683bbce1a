'use strict';
/**
 * The read device dialog checks device ids with its own copy of the core's rules (the
 * editor cannot load the core). This runs the copy, taken from nodes/m2m-device.html
 * as the browser gets it, and the core's parseDeviceId on the same ids, so the two
 * cannot drift apart.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { parseDeviceId, splitDeviceList, luhnValid } = require('../../dist/core/index.js');

const HTML = path.join(__dirname, '..', '..', 'nodes', 'm2m-device.html');

/** The editor's functions, from the text between the markers of the node's <script>. */
function editorCheck() {
  const html = fs.readFileSync(HTML, 'utf8');
  const m = /\/\/ <device-id-check>[^\n]*\n([\s\S]*?)\/\/ <\/device-id-check>/.exec(html);
  assert.ok(m, 'nodes/m2m-device.html has the marked device id check');
  return new Function(`${m[1]}; return { deviceIdProblem, splitDeviceList, luhnValid, MAX_DEVICE_IDS };`)();
}

/** What the core says of an id: null when it passes, else its message. */
function coreProblem(id) {
  try {
    parseDeviceId(id);
    return null;
  } catch (e) {
    assert.equal(e.code, 'invalid_device_id');
    return e.message;
  }
}

/** A random string of `n` characters from `alphabet`. */
function random(alphabet, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[crypto.randomInt(alphabet.length)];
  return s;
}

/** An IMEI with its check digit right (or, with `wrong`, off by one). */
function imei(wrong = false) {
  const body = random('0123456789', 14);
  for (let d = 0; d < 10; d++) {
    if (luhnValid(body + d)) return body + ((d + (wrong ? 1 : 0)) % 10);
  }
  throw new Error('no check digit');
}

describe('device ids: the editor\'s check agrees with the core', function () {
  const editor = editorCheck();

  const FIXED = [
    '864508030149261', '864508030149262', '86450803014926', '8645080301492611', '864508030149261123',
    '89148000004197461018', '8914800000419746101', '99148000004197461018', '991480000041974610',
    'E421ECAE-89B4-6F8F-E7EB-D4E27A99D7A0', 'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0', 'E421ECAE-89B4-6F8F-E7EB-D4E27A99D7A',
    '5550100001', '12345678901', '12345678901234', 'A0000012345678', 'ab12cd34', '89049032000000000000000000000123',
    'tracker-7.site:3', '-starts-with-dash', 'has space', 'slash/inside', 'ümlaut', 'a'.repeat(100), 'a'.repeat(101),
    '0', '00000000000000000', '  864508030149261 ', 'x', '_x', '1.5', 'id%20', 'id?x=1',
  ];

  it('on fixed cases: the same ids pass and fail', () => {
    for (const id of FIXED) {
      const core = coreProblem(id);
      const mine = editor.deviceIdProblem(id);
      assert.equal(mine === null, core === null, `${JSON.stringify(id)}: core ${core ?? 'ok'}, editor ${mine ?? 'ok'}`);
    }
    assert.equal(editor.deviceIdProblem('864508030149262'), 'imei');
    assert.equal(editor.deviceIdProblem('99148000004197461018'), 'iccid');
    assert.equal(editor.deviceIdProblem('8645080301492611'), 'digits');
    assert.equal(editor.deviceIdProblem('has/slash'), 'chars');
  });

  it('on 3000 random ids: digits of every length, IMEIs right and wrong, hex, UUIDs, plain and odd characters', () => {
    const ids = [];
    for (let i = 0; i < 300; i++) {
      ids.push(imei(false), imei(true));
      ids.push(random('0123456789', 1 + crypto.randomInt(34)));
      ids.push(`89${random('0123456789', 17 + crypto.randomInt(2))}`);
      ids.push(random('0123456789ABCDEFabcdef', [8, 14, 15][crypto.randomInt(3)]));
      ids.push(crypto.randomUUID());
      ids.push(random('abcXYZ019._:-', 1 + crypto.randomInt(110)));
      ids.push(random('abc19 /?#%ü"\'<>', 1 + crypto.randomInt(12)));
      ids.push(random('0123456789-', 36));
      ids.push(`${random('0123456789', 15)}`);
    }
    for (const id of ids) {
      const core = coreProblem(id);
      const mine = editor.deviceIdProblem(id);
      assert.equal(mine === null, core === null, `${JSON.stringify(id)}: core ${core ?? 'ok'}, editor ${mine ?? 'ok'}`);
    }
  });

  it('splits a Devices setting the same way, and has the same Luhn check', () => {
    for (const text of ['a, b ,c', 'a\nb;c', '  ', '', 'x,,y', '864508030149261 89148000004197461018']) {
      assert.deepEqual(editor.splitDeviceList(text), splitDeviceList(text), JSON.stringify(text));
    }
    for (let i = 0; i < 200; i++) {
      const digits = random('0123456789', 1 + crypto.randomInt(25));
      assert.equal(editor.luhnValid(digits), luhnValid(digits), digits);
    }
    assert.equal(editor.MAX_DEVICE_IDS, require('../../dist/core/index.js').MAX_DEVICE_IDS);
  });
});
