'use strict';
/**
 * What a browser does at the provider's authorize page, without a browser: GET it,
 * do not follow the redirect, and read where the provider sends the user back.
 */
async function visitAuthorizePage(authorizeUrl) {
  const res = await fetch(authorizeUrl, { redirect: 'manual' });
  if (res.status !== 302) return { status: res.status, body: await res.text() };
  const location = new URL(res.headers.get('location'));
  return { status: 302, location, query: Object.fromEntries(location.searchParams) };
}

/** Sets the emulator's consent page mode: auto (consent), deny, ask. */
async function setConsent(emulator, mode) {
  const res = await fetch(`${emulator.url}/_emulator/verizon-cloud/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode }),
  });
  if (res.status !== 200) throw new Error(`consent mode ${mode}: HTTP ${res.status}`);
}

module.exports = { visitAuthorizePage, setConsent };
