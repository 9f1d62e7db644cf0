/*
 * A do-nothing etsy/statsd backend for bench/statsd_capacity.sh: at each flush
 * it adds the interval's statsd.metrics_received (and packets_received) to a
 * running total and writes one line to config.nullBackend.file, atomically
 * (write to FILE.tmp, rename):
 *   metrics_received=N packets_received=N flushes=N flush_time=EPOCH_S written=EPOCH_S
 * Nothing is sent anywhere, so a benchmark measures only ingest + aggregation
 * (etsy still computes every derived timer/set/counter value before emitting).
 */
'use strict';
const fs = require('fs');

function NullBackend(startupTime, config, emitter) {
  const file = (config.nullBackend && config.nullBackend.file) || 'etsy-total.txt';
  let metrics = 0;
  let packets = 0;
  let flushes = 0;
  const write = function (flushTime) {
    const line = 'metrics_received=' + metrics + ' packets_received=' + packets +
      ' flushes=' + flushes + ' flush_time=' + flushTime +
      ' written=' + (Date.now() / 1000).toFixed(3) + '\n';
    fs.writeFileSync(file + '.tmp', line);
    fs.renameSync(file + '.tmp', file);
  };
  emitter.on('flush', function (timestamp, m) {
    metrics += Number(m.counters['statsd.metrics_received'] || 0);
    packets += Number(m.counters['statsd.packets_received'] || 0);
    flushes += 1;
    write(timestamp);
  });
  write(0);
}

exports.init = function (startupTime, config, events) {
  new NullBackend(startupTime, config, events);
  return true;
};
