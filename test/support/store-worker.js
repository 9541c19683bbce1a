'use strict';
/**
 * One "instance" of a fleet for test/core/store-processes.test.js: a child process with its
 * own RedisStore and ProviderClient, driven over IPC (so the test can SIGSTOP it):
 *
 *   { id, cmd: 'init', redisUrl, settings, credentials }   → { id, ok }
 *   { id, cmd: 'burst', n, leaseMs }                       → { id, tokens: [distinct access tokens], fetched }
 *   { id, cmd: 'rotate', leaseMs }                         → { id, generation } | { id, error: { code, message } }
 */
const { ProviderClient, RedisStore, sharedToken, rotateShared } = require('../../dist/core/index.js');

let store;
let client;
let state;

function accountOf(c) {
  return { preset: c.id, tokenUrl: c.urls.tokenUrl, clientId: c.credential('clientId'), username: c.credential('username') };
}

const commands = {
  async init({ redisUrl, settings, credentials }) {
    store = new RedisStore({ url: redisUrl, maxReconnectDelayMs: 100 });
    client = new ProviderClient(settings, credentials, { backoffLimit: 20 });
    state = store.account(accountOf(client), credentials.clientSecret);
    await store.ready(5000);
    return { ok: true };
  },

  async burst({ n, leaseMs }) {
    const slot = state.slot();
    const fetch = () => client.preset.fetchToken(client.context(), client.normalize({}));
    const results = await Promise.all(Array.from({ length: n }, () => sharedToken(state, slot, fetch, { leaseMs, pollMs: 25 })));
    return { tokens: [...new Set(results.map((r) => r.token.accessToken))].length, fetched: results.filter((r) => r.fetched).length };
  },

  async rotate({ leaseMs, configured }) {
    const grant = (refreshToken) => {
      client.setCredential('refreshToken', refreshToken);
      return client.preset.fetchToken(client.context(), client.normalize({}));
    };
    const r = await rotateShared(state, configured, grant, { leaseMs, pollMs: 25 });
    return { generation: r.generation, stored: r.stored };
  },
};

process.on('message', async (m) => {
  try {
    const result = await commands[m.cmd](m);
    process.send({ id: m.id, ...result });
  } catch (e) {
    process.send({ id: m.id, error: { code: e.code, message: e.message } });
  }
});

process.on('disconnect', async () => {
  client?.close();
  await store?.close();
  process.exit(0);
});
