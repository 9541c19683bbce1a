'use strict';
/**
 * Issue 15, item 5: the refresh-token store survives a power loss and keeps its files private.
 * The new file is flushed (fsync) before it replaces the old one, and the directory is flushed
 * before and after the rename; an existing directory gets 0700 and an existing file 0600.
 * At the branch point save() renamed without any fsync and left existing modes alone.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sinon = require('sinon');
const { RefreshTokenStore } = require('../../dist/core/index.js');

const mode = (p) => fs.statSync(p).mode & 0o777;

describe('refresh-token store: durable rename, private modes (issue 15, item 5)', () => {
  let tmp;
  let dir;
  const store = () => new RefreshTokenStore({ dir, nodeId: 'node-1', clientId: 'id', clientSecret: 'store-secret-1' });
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-store-'));
    dir = path.join(tmp, '.m2m-auth');
  });
  afterEach(() => {
    sinon.restore();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('save: the temp file is fsynced before the rename, the directory before and after it', () => {
    const s = store();
    s.newest('origin-token');
    const calls = [];
    const realOpen = fs.openSync;
    const fdPaths = new Map();
    sinon.stub(fs, 'openSync').callsFake((p, ...rest) => {
      const fd = realOpen(p, ...rest);
      fdPaths.set(fd, p);
      return fd;
    });
    const realFsync = fs.fsyncSync;
    sinon.stub(fs, 'fsyncSync').callsFake((fd) => {
      calls.push(['fsync', fdPaths.get(fd)]);
      return realFsync(fd);
    });
    const realRename = fs.renameSync;
    sinon.stub(fs, 'renameSync').callsFake((from, to) => {
      calls.push(['rename', from, to]);
      return realRename(from, to);
    });
    s.save('rotated-token-2');
    const tmpFile = calls.find((c) => c[0] === 'rename')[1];
    assert.deepEqual(calls, [
      ['fsync', tmpFile],
      ['fsync', dir],
      ['rename', tmpFile, s.file],
      ['fsync', dir],
    ]);
    assert.equal(store().newest('origin-token'), 'rotated-token-2', 'the saved token is read back');
  });

  it('an existing directory gets 0700 and existing files 0600, at start and at save', () => {
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    const s = store();
    s.newest('origin-token');
    assert.equal(mode(dir), 0o700, 'the directory at start');
    s.save('rotated-token-2');
    assert.equal(mode(s.file), 0o600);
    // Someone widens both (a restore, a copy by hand): the next start narrows them again.
    fs.chmodSync(dir, 0o777);
    fs.chmodSync(s.file, 0o644);
    const again = store();
    assert.equal(again.newest('origin-token'), 'rotated-token-2');
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(again.file), 0o600);
    // A stale temp file of a crashed save with a wide mode does not widen the saved file.
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(`${again.file}.${process.pid}.tmp`, 'stale', { mode: 0o644 });
    again.save('rotated-token-3');
    assert.equal(mode(again.file), 0o600);
    assert.equal(mode(dir), 0o700);
  });
});
