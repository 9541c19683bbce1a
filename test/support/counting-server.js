'use strict';
/**
 * A host that must never be contacted: counts every request (and what credentials it
 * carried) so tests can prove that redirects and msg properties do not send a request,
 * or a credential, anywhere but the configured provider.
 */
const http = require('node:http');

async function startCountingServer() {
  const seen = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"access_token":"from-the-wrong-host","token_type":"Bearer","expires_in":3600}');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

module.exports = { startCountingServer };
