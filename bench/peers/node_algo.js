// The official Node client (npm algorithmia 0.3.x) calling util/Echo with CONCURRENCY promise
// loops for SECONDS seconds. Usage: node node_algo.js URL KEY CONCURRENCY SECONDS.
// Prints JSON: calls, seconds, p50_ms, p99_ms, errors.
'use strict';
const algorithmia = require('algorithmia');
const http = require('http');

const [url, key, concurrency, seconds] = process.argv.slice(2);
// The client makes a new request per call; keep connections alive as a fair comparison.
http.globalAgent.keepAlive = true;
const client = algorithmia.client(key, url);
const payload = { data: 'x'.repeat(1000) };
const latencies = [];
let errors = 0;
const started = process.hrtime.bigint();
const deadline = started + BigInt(Math.round(Number(seconds) * 1e9));

const call = () => new Promise((resolve) => client.algo('util/Echo').pipe(payload).then(resolve));

async function loop() {
  while (process.hrtime.bigint() < deadline) {
    const t0 = process.hrtime.bigint();
    const response = await call();
    if (response.error) errors += 1;
    else latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}

Promise.all(Array.from({ length: Number(concurrency) }, loop)).then(() => {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pick = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0);
  console.log(JSON.stringify({ calls: latencies.length, seconds: elapsed, p50_ms: pick(0.5), p99_ms: pick(0.99), errors }));
  process.exit(0);
});
