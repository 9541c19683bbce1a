'use strict';
/**
 * The benchmark's own Node-RED nodes, loaded through settings.nodesDir:
 *  - bench-source: no input; the harness calls node.fire(msg) and it sends msg down its wire
 *    (through Node-RED's router, like any upstream node);
 *  - bench-pass: Node-RED's floor, a node that passes the message on and does nothing else;
 *  - bench-sink: end of a chain; calls node.onMessage(msg) set by the harness.
 */
module.exports = function (RED) {
  function BenchSource(config) {
    RED.nodes.createNode(this, config);
    this.fire = (msg) => this.send(msg);
  }
  function BenchPass(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      send(msg);
      done();
    });
  }
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.onMessage = null;
    this.on('input', (msg, _send, done) => {
      this.onMessage?.(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-source', BenchSource);
  RED.nodes.registerType('bench-pass', BenchPass);
  RED.nodes.registerType('bench-sink', BenchSink);
};
