export { startEmulator, type Emulator, type EmulatorOptions } from './server.js';
export { DEMO, EmulatorState, type Fault, type EmulatorSettings } from './state.js';
export type { Ctx, Route, EmulatedProvider } from './http.js';
export { PROVIDERS } from './providers/index.js';

import { PROVIDERS } from './providers/index.js';
import { DEMO } from './state.js';

/** The text printed when the emulator starts: every provider's base URL and the demo credentials. */
export function describeEmulator(url: string): string {
  const lines = [`M2M provider emulator listening on ${url}`, '', 'Provider base URLs (set as "Base URL" in an m2m-provider node):'];
  // One line per provider: a second module of the same id (oauth2's RFC 8414 metadata) is no base URL.
  for (const p of PROVIDERS.filter((p, i) => PROVIDERS.findIndex((q) => q.id === p.id) === i)) {
    lines.push(`  ${p.id.padEnd(16)} ${url}${p.prefix}`);
  }
  for (const p of PROVIDERS) {
    const more = p.describe?.(`${url}${p.prefix}`) ?? [];
    if (more.length > 0) lines.push('', `${p.id}:`, ...more.map((l) => `  ${l}`));
  }
  lines.push(`  ${'oauth2 token URL'.padEnd(16)} ${url}/oauth2/token`);
  lines.push('', 'Demo credentials (accepted by every emulated provider):');
  lines.push(`  client id      ${DEMO.clientId}`);
  lines.push(`  client secret  ${DEMO.clientSecret}`);
  lines.push(`  UWS username   ${DEMO.username}`);
  lines.push(`  UWS password   ${DEMO.password}`);
  lines.push(`  refresh token  ${DEMO.refreshToken}  (verizon-cloud)`);
  lines.push(`  Insights Hub   appName ${DEMO.appName}, appVersion ${DEMO.appVersion}, hostTenant ${DEMO.hostTenant}`);
  lines.push('', `Control API: GET ${url}/_emulator/stats, POST ${url}/_emulator/faults, POST ${url}/_emulator/reset`);
  return lines.join('\n');
}
