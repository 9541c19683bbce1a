'use strict';
/**
 * Every admin HTTP endpoint the package adds requires Node-RED's permission check: with
 * adminAuth on, no token → 401; a read-only user may read and not write. The endpoints are
 * found in the node sources (every RED.httpAdmin.<verb>(path, …) call), so one added later
 * is covered too.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRedProcess } = require('../support/node-red-process.js');

const SRC = path.join(__dirname, '..', '..', 'src', 'nodes');

/** Every admin route in src/nodes: {method, path, permission} (permission: the needsPermission argument). */
function adminRoutes() {
  const routes = [];
  for (const file of fs.readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    for (const m of text.matchAll(/RED\.httpAdmin\.(get|post|put|delete|patch|all|use)\(\s*(['"`])([^'"`]+)\2\s*,/g)) {
      // The permission check must be the first handler: the next argument of the same call.
      const next = text.slice(m.index + m[0].length, m.index + m[0].length + 120);
      const permission = /^\s*RED\.auth\.needsPermission\(\s*['"]([^'"]+)['"]\s*\)/.exec(next)?.[1];
      routes.push({ file, method: m[1] === 'all' || m[1] === 'use' ? 'GET' : m[1].toUpperCase(), path: m[3], permission });
    }
  }
  return routes;
}

function bcryptHash(password) {
  const bcrypt = require(require.resolve('bcryptjs', { paths: [path.dirname(require.resolve('node-red'))] }));
  return bcrypt.hashSync(password, 8);
}

describe('admin endpoints with adminAuth: every one needs a permission', function () {
  this.timeout(60_000);
  const routes = adminRoutes();
  let nr;
  before(async () => {
    nr = await startNodeRedProcess({
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
  });
  after(async () => {
    await nr?.stop();
    nr?.cleanup();
  });

  async function tokenOf(username, password, scope) {
    const res = await nr.api('auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).access_token;
  }

  function call(route, token) {
    const url = route.path.replace(/^\//, '').replace(/:(\w+)/g, 'test-$1');
    return nr.api(url, {
      method: route.method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(route.method === 'GET' ? {} : { body: '{}' }),
    });
  }

  it('the package registers admin endpoints, each with RED.auth.needsPermission', () => {
    assert.ok(routes.length >= 1, 'GET /m2m-auth/presets at least');
    assert.ok(routes.some((r) => r.method === 'GET' && r.path === '/m2m-auth/presets'));
    for (const r of routes) assert.match(r.permission ?? '', /^m2m-[\w-]+\.(read|write)$/, `${r.method} ${r.path} in ${r.file}`);
  });

  it('without a token: 401 from every endpoint', async () => {
    for (const r of routes) assert.equal((await call(r)).status, 401, `${r.method} ${r.path}`);
  });

  it('a read-only user reads (not 401/403) but may not call write endpoints (403); the admin may', async () => {
    const viewer = await tokenOf('viewer', 'viewer-pass-1', 'read');
    const admin = await tokenOf('admin', 'admin-pass-1', '*');
    for (const r of routes) {
      const asViewer = (await call(r, viewer)).status;
      if (r.permission.endsWith('.read')) assert.ok(![401, 403].includes(asViewer), `${r.method} ${r.path} as viewer: ${asViewer}`);
      else assert.equal(asViewer, 403, `${r.method} ${r.path} as viewer`);
      const asAdmin = (await call(r, admin)).status;
      assert.ok(![401, 403].includes(asAdmin), `${r.method} ${r.path} as admin: ${asAdmin}`);
    }
    const presets = await (await call({ method: 'GET', path: '/m2m-auth/presets' }, viewer)).json();
    assert.ok(presets.some((p) => p.id === 'thingspace'));
  });
});
