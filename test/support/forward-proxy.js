'use strict';
/**
 * A small forward proxy on 127.0.0.1 that counts what it carried: absolute-URI
 * requests (http targets) and CONNECT tunnels (https targets). Optional Basic
 * proxy authentication.
 */
const http = require('node:http');
const net = require('node:net');

async function startForwardProxy({ username, password } = {}) {
  const stats = { requests: 0, connects: 0, rejected: 0, targets: [], authorizations: [] };
  const sockets = new Set();
  const expected = username ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined;
  const authorized = (req) => {
    stats.authorizations.push(req.headers['proxy-authorization']);
    return !expected || req.headers['proxy-authorization'] === expected;
  };
  const server = http.createServer((req, res) => {
    if (!authorized(req)) {
      stats.rejected++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      return res.end();
    }
    stats.requests++;
    const target = new URL(req.url);
    stats.targets.push(target.host);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client, head) => {
    if (!authorized(req)) {
      stats.rejected++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    stats.connects++;
    stats.targets.push(req.url);
    const [host, port] = req.url.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    close: () => new Promise((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

module.exports = { startForwardProxy };
