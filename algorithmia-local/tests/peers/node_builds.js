// The official Node client (npm `algorithmia` 0.3.x), unchanged, against algorithmia-local's
// management API with a real build. The client has no management methods, so its generic
// `client.req` sends them: create, compile, builds (poll), the build's logs, publish, versions,
// and a call of the published version with `client.algo(..).pipe`.
// Usage: node node_builds.js BASE_URL API_KEY USER
// Prints "node build scenarios passed: N" and exits 0, or exits 1 with the first broken expectation.
'use strict';
const algorithmia = require('algorithmia');

const [base, key, user] = process.argv.slice(2);
const client = algorithmia.client(key, base);
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };
let passed = 0;

function check(condition, what) {
  if (!condition) throw new Error(what);
  passed += 1;
}

const req = (path, method, body) =>
  new Promise((resolve) =>
    client.req(path, method, body === undefined ? '' : JSON.stringify(body), JSON_HEADERS,
      (answer, status) => resolve([answer, status])));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const algo = `/v1/algorithms/${user}/NodeBuilt`;
  let [answer, status] = await req(`/v1/algorithms/${user}`, 'POST',
    { name: 'NodeBuilt', details: { label: 'Built from Node' }, settings: { language: 'python3' } });
  check(status === 201 && answer.name === 'NodeBuilt', `create: ${status} ${JSON.stringify(answer)}`);

  [answer, status] = await req(`${algo}/compile`, 'POST', {});
  check(status === 200 && answer.build && answer.build.build_id, `compile: ${JSON.stringify(answer)}`);
  const buildId = answer.build.build_id;
  const commit = answer.version_info.git_hash;

  let build;
  for (let i = 0; i < 2400; i += 1) {
    [build] = await req(`${algo}/builds/${buildId}`, 'GET');
    if (build.status !== 'in-progress') break;
    await sleep(250);
  }
  check(build.status === 'succeeded' && build.commit_sha === commit, `build: ${JSON.stringify(build)}`);
  [answer] = await req(`${algo}/builds/${buildId}/logs`, 'GET');
  check(typeof answer.logs === 'string' && answer.logs.includes('Build succeeded'), 'build logs');
  [answer] = await req(`${algo}/builds`, 'GET');
  check(answer.results.length === 1 && answer.results[0].build_id === buildId, 'builds listed');

  [answer, status] = await req(`${algo}/versions`, 'POST',
    { version_info: { version_type: 'major' }, settings: { algorithm_callability: 'private' } });
  check((status === 200 || status === 201) && answer.version_info.semantic_version === '1.0.0', `publish: ${JSON.stringify(answer)}`);
  [answer] = await req(`${algo}/versions`, 'GET');
  check(answer.results.some((v) => v.version_info.semantic_version === '1.0.0'), 'versions listed');

  const response = await new Promise((resolve) =>
    client.algo(`${user}/NodeBuilt/1.0.0`).pipe('node').then(resolve));
  check(response.get() === 'hello node', `call: ${JSON.stringify(response.result)}`);
}

main().then(
  () => console.log(`node build scenarios passed: ${passed}`),
  (e) => { console.error(e.stack || e); process.exit(1); },
);
