'use strict';
/** Authorization code grant, core: PKCE, the authorize URL, and the single-use, 10-minute `state`. */
const assert = require('node:assert/strict');
const {
  AuthorizationRequests,
  AUTHORIZATION_TTL,
  OUTCOME_TTL,
  buildAuthorizeUrl,
  checkRedirectUri,
  pkcePair,
  redact,
  s256,
  secretCount,
} = require('../../dist/core/index.js');

function input(extra = {}) {
  return {
    nodeId: 'node-1',
    provider: 'verizon-cloud',
    clientId: 'app-key',
    clientSecret: 'app-secret-value-42',
    clientAuth: 'basic',
    authorizeUrl: 'https://api.example.com/cloud/1/oauth2/authorize',
    tokenUrl: 'https://api.example.com/cloud/1/oauth2/token',
    redirectUri: 'https://nr.example.com/Admin/m2m-auth/verizon-cloud/callback',
    pkce: true,
    ...extra,
  };
}

function stateOf(authorizeUrl) {
  return new URL(authorizeUrl).searchParams.get('state');
}

/** take() must throw invalid_state with this reason. */
function refused(fn, reason) {
  assert.throws(fn, (e) => {
    assert.equal(e.code, 'invalid_state');
    assert.equal(e.cause.error, reason);
    return true;
  });
}

describe('authorization code: PKCE and authorize URL', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', () => {
    assert.equal(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a fresh 43-character verifier each time, with its challenge', () => {
    const a = pkcePair();
    const b = pkcePair();
    assert.match(a.verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.verifier, b.verifier);
    assert.equal(a.challenge, s256(a.verifier));
    assert.equal(a.method, 'S256');
  });

  it('builds the authorize URL with client_id, redirect_uri, response_type, state and the challenge', () => {
    const url = new URL(
      buildAuthorizeUrl('https://api.example.com/oauth2/authorize?tenant=x', {
        clientId: 'app key',
        redirectUri: 'http://127.0.0.1:1880/m2m-auth/verizon-cloud/callback',
        state: 'st',
        codeChallenge: 'ch',
        scope: 'read write',
      }),
    );
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      tenant: 'x',
      client_id: 'app key',
      redirect_uri: 'http://127.0.0.1:1880/m2m-auth/verizon-cloud/callback',
      response_type: 'code',
      state: 'st',
      scope: 'read write',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });

  it('leaves PKCE out when the preset does not send it', () => {
    const url = new URL(buildAuthorizeUrl('https://a.example/authorize', { clientId: 'c', redirectUri: 'https://b.example/cb', state: 's' }));
    assert.equal(url.searchParams.has('code_challenge'), false);
    assert.equal(url.searchParams.has('scope'), false);
  });

  it('keeps the callback URL exactly as given (the provider matches it case-sensitively)', () => {
    assert.equal(checkRedirectUri('https://NR.example.com/Admin/cb', 'verizon-cloud'), 'https://NR.example.com/Admin/cb');
    for (const bad of [undefined, '', 'not a url', 'ftp://x/cb', 'https://x/cb?a=1', 'https://x/cb#f', 42]) {
      assert.throws(() => checkRedirectUri(bad, 'verizon-cloud'), { code: 'invalid_config' }, String(bad));
    }
  });
});

describe('authorization code: pending requests (state)', () => {
  let now;
  let requests;
  beforeEach(() => {
    now = 1_700_000_000_000;
    requests = new AuthorizationRequests({ now: () => now });
  });
  afterEach(() => requests.clear());

  it('creates a random state, a separate poll handle and a PKCE challenge kept server-side', () => {
    const a = requests.create(input());
    const b = requests.create(input());
    const url = new URL(a.authorizeUrl);
    const state = url.searchParams.get('state');
    assert.match(state, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(state, stateOf(b.authorizeUrl));
    assert.notEqual(a.handle, state);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    const taken = requests.take(state);
    assert.equal(s256(taken.codeVerifier), url.searchParams.get('code_challenge'));
    assert.equal(taken.nodeId, 'node-1');
    assert.equal(a.expiresAt, now + AUTHORIZATION_TTL);
  });

  it('refuses a missing state', () => {
    requests.create(input());
    refused(() => requests.take(undefined), 'missing');
    refused(() => requests.take(''), 'missing');
    refused(() => requests.take(['a', 'b']), 'missing');
  });

  it('refuses a wrong state', () => {
    const { authorizeUrl } = requests.create(input());
    refused(() => requests.take(`${stateOf(authorizeUrl)}x`), 'unknown');
    refused(() => requests.take('forged'), 'unknown');
    // The right one still works afterwards.
    assert.equal(requests.take(stateOf(authorizeUrl)).nodeId, 'node-1');
  });

  it('accepts a state once: a replay is refused', () => {
    const { authorizeUrl } = requests.create(input());
    const state = stateOf(authorizeUrl);
    const taken = requests.take(state);
    refused(() => requests.take(state), 'used');
    requests.settle(taken, { status: 'authorized' });
    refused(() => requests.take(state), 'used');
  });

  it('refuses a state older than 10 minutes', () => {
    const { authorizeUrl } = requests.create(input());
    const other = requests.create(input());
    now += AUTHORIZATION_TTL - 1;
    assert.equal(requests.take(stateOf(other.authorizeUrl)).nodeId, 'node-1');
    now += 1;
    refused(() => requests.take(stateOf(authorizeUrl)), 'expired');
    // Gone after that: the same state is now simply unknown.
    refused(() => requests.take(stateOf(authorizeUrl)), 'unknown');
  });

  it('tells the outcome only to the editor user who started it, then forgets it', () => {
    const { handle, authorizeUrl } = requests.create(input({ owner: 'alice' }));
    assert.deepEqual(requests.outcome(handle, 'alice'), { status: 'pending', nodeId: 'node-1' });
    assert.equal(requests.outcome(handle, 'mallory'), undefined);
    assert.equal(requests.outcome(handle), undefined);
    assert.equal(requests.outcome(stateOf(authorizeUrl), 'alice'), undefined, 'the state is not a poll handle');
    const taken = requests.take(stateOf(authorizeUrl));
    requests.settle(taken, { status: 'denied', error: 'access_denied', description: 'no' });
    assert.deepEqual(requests.outcome(handle, 'alice'), { status: 'denied', error: 'access_denied', description: 'no', nodeId: 'node-1' });
    now += OUTCOME_TTL;
    assert.equal(requests.outcome(handle, 'alice'), undefined);
    assert.equal(requests.size, 0);
  });

  it('reports a request nobody completed in time as expired', () => {
    const { handle } = requests.create(input());
    now += AUTHORIZATION_TTL;
    assert.deepEqual(requests.outcome(handle), {
      status: 'failed',
      code: 'expired',
      message: 'the authorization request expired',
      nodeId: 'node-1',
    });
    now += OUTCOME_TTL;
    assert.equal(requests.outcome(handle), undefined);
    assert.equal(requests.size, 0);
  });

  it('masks the client secret while the request waits, and drops it and the verifier once settled', () => {
    const before = secretCount();
    const { authorizeUrl } = requests.create(input());
    assert.equal(redact('secret app-secret-value-42'), 'secret [redacted]');
    const taken = requests.take(stateOf(authorizeUrl));
    requests.settle(taken, { status: 'authorized' });
    assert.equal(taken.clientSecret, '');
    assert.equal(taken.codeVerifier, undefined);
    assert.equal(secretCount(), before);
  });

  it('keeps at most maxPending requests, dropping the oldest', () => {
    const small = new AuthorizationRequests({ maxPending: 3, now: () => now });
    const created = [1, 2, 3, 4].map(() => small.create(input()));
    assert.equal(small.size, 3);
    refused(() => small.take(stateOf(created[0].authorizeUrl)), 'unknown');
    assert.equal(small.take(stateOf(created[3].authorizeUrl)).nodeId, 'node-1');
    small.clear();
  });
});
