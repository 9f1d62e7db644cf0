/*
 * etsy/statsd 0.9.0 config for bench/statsd_capacity.sh (statsd evaluates this
 * file as a JS expression). Ports and the total file come from the
 * environment the script sets; the backend path is relative to statsd's
 * stats.js (bench/etsy/node_modules/statsd/).
 */
{
  address: "127.0.0.1",
  port: Number(process.env.HG_ETSY_PORT || 8125),
  mgmt_address: "127.0.0.1",
  mgmt_port: Number(process.env.HG_ETSY_MGMT_PORT || 8126),
  flushInterval: Number(process.env.HG_ETSY_FLUSH_MS || 10000),
  percentThreshold: [90],
  backends: ["../../null_backend.js"],
  nullBackend: { file: process.env.HG_ETSY_TOTAL_FILE || "etsy-total.txt" },
  automaticConfigReload: false
}
