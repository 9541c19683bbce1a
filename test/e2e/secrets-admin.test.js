'use strict';
/**
 * Every admin HTTP endpoint the package adds requires Node-RED's permission check: with
 * adminAuth on, no token → 401; a read-only user may read and not write. The endpoints are
 * found in the node sources (every RED.httpAdmin.<verb>(path, …) call), so one added later
 * is covered too. The one route without a permission is the Verizon Cloud OAuth callback: the
 * provider's redirect brings the user's browser there without an editor token, so the
 * single-use `state` protects it instead (checked here: no state, no entry).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRedProcess } = require('../support/node-red-process.js');

const SRC = path.join(__dirname, '..', '..', 'src', 'nodes');
/** Routes reached by a provider's redirect, protected by `state` instead of a permission. */
const REDIRECT_TARGETS = ['/m2m-auth/:preset/callback'];

/** Every admin route in src/nodes: {method, path, permission} (permission: the needsPermission argument). */
function adminRoutes() {
  const routes = [];
  for (const file of fs.readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    // Paths may be written with the file's string constants: `${START_PATH}/:handle`, CALLBACK_PATH.
    const constants = Object.fromEntries([...text.matchAll(/const (\w+) = '([^']+)';/g)].map((c) => [c[1], c[2]]));
    const expand = (p) => p.replace(/\$\{(\w+)\}/g, (_m, name) => constants[name] ?? _m);
    for (const m of text.matchAll(/RED\.httpAdmin\.(get|post|put|delete|patch|all|use)\(\s*(?:(['"`])([^'"`]+)\2|([A-Z_]+))\s*,/g)) {
      // The permission check must be the first handler: the next argument of the same call.
      const next = text.slice(m.index + m[0].length, m.index + m[0].length + 120);
      const permission = /^\s*RED\.auth\.needsPermission\(\s*['"]([^'"]+)['"]\s*\)/.exec(next)?.[1];
      const routePath = m[4] ? constants[m[4]] : expand(m[3]);
      assert.ok(routePath && !routePath.includes('${'), `cannot read the path of ${m[0]} in ${file}`);
      routes.push({ file, method: m[1] === 'all' || m[1] === 'use' ? 'GET' : m[1].toUpperCase(), path: routePath, permission });
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
  const all = adminRoutes();
  const routes = all.filter((r) => !REDIRECT_TARGETS.includes(r.path));
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

  it('the OAuth callback, the only route without a permission, refuses a request without a valid state', async () => {
    const callbacks = all.filter((r) => REDIRECT_TARGETS.includes(r.path));
    assert.deepEqual(callbacks.map((r) => `${r.method} ${r.path}`), ['GET /m2m-auth/:preset/callback']);
    assert.equal(callbacks[0].permission, undefined);
    for (const query of ['', '?code=stolen-code', '?state=forged-state&code=stolen-code']) {
      const res = await nr.api(`m2m-auth/verizon-cloud/callback${query}`);
      assert.equal(res.status, 400, query);
    }
  });

  it('a read-only user reads (not 401/403) but may not call write endpoints (Node-RED answers 401); the admin may', async () => {
    const viewer = await tokenOf('viewer', 'viewer-pass-1', 'read');
    const admin = await tokenOf('admin', 'admin-pass-1', '*');
    for (const r of routes) {
      const asViewer = (await call(r, viewer)).status;
      if (r.permission.endsWith('.read')) assert.ok(![401, 403].includes(asViewer), `${r.method} ${r.path} as viewer: ${asViewer}`);
      // Node-RED's needsPermission answers a missing permission with 401, as it does a missing token.
      else assert.equal(asViewer, 401, `${r.method} ${r.path} as viewer`);
      const asAdmin = (await call(r, admin)).status;
      assert.ok(![401, 403].includes(asAdmin), `${r.method} ${r.path} as admin: ${asAdmin}`);
    }
    const presets = await (await call({ method: 'GET', path: '/m2m-auth/presets' }, viewer)).json();
    assert.ok(presets.some((p) => p.id === 'thingspace'));
  });
});
