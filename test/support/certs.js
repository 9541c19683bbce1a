'use strict';
/** A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-certs-'));
  const f = (name) => path.join(dir, name);
  const ssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=M2M test CA');
  ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  // A client certificate from the same CA, for mutual TLS.
  ssl('req', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=m2m-gateway');
  fs.writeFileSync(f('client.cnf'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '2', '-extfile', f('client.cnf'));
  return {
    dir,
    caFile: f('ca.pem'),
    ca: fs.readFileSync(f('ca.pem'), 'utf8'),
    key: fs.readFileSync(f('server.key'), 'utf8'),
    cert: fs.readFileSync(f('server.pem'), 'utf8'),
    clientKeyFile: f('client.key'),
    clientCertFile: f('client.pem'),
    clientKey: fs.readFileSync(f('client.key'), 'utf8'),
    clientCert: fs.readFileSync(f('client.pem'), 'utf8'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { makeCertificates };
