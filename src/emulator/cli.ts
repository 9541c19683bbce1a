#!/usr/bin/env node
/** m2m-emulator [--port N] [--host H]: runs the provider emulator until interrupted. */
import { parseArgs } from 'node:util';
import { describeEmulator, startEmulator } from './index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', short: 'p', default: process.env.M2M_EMULATOR_PORT ?? '1881' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: m2m-emulator [--port 1881] [--host 127.0.0.1]   (--port 0: any free port)');
    return;
  }
  const emulator = await startEmulator({ port: Number(values.port), host: values.host });
  console.log(describeEmulator(emulator.url));
  const stop = () => {
    emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`m2m-emulator: ${err?.message ?? err}`);
  process.exit(1);
});
