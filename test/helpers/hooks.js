'use strict';
/**
 * Root hooks for every test run: an unhandled promise rejection or an uncaught
 * exception anywhere in the process fails the test during which it happened.
 */
const problems = [];
process.on('unhandledRejection', (reason) => problems.push(['unhandled rejection', reason]));
process.on('uncaughtExceptionMonitor', (err) => problems.push(['uncaught exception', err]));

exports.mochaHooks = {
  /**
   * got imports setTimeout from node:timers/promises, and an ES module keeps the function it
   * got at its first import. Loaded while a test's fake timers are installed, it would keep
   * the fake one for good (every later paginate() would wait forever): load it first.
   */
  async beforeAll() {
    await import('got');
  },
  afterEach() {
    if (problems.length === 0) return;
    const list = problems.splice(0).map(([kind, e]) => `${kind}: ${e?.stack ?? e}`);
    throw new Error(`the process saw ${list.length} unhandled error(s):\n${list.join('\n')}`);
  },
};
