// The official Node client (npm `algorithmia` 0.3.x), unchanged, against algorithmia-local.
// Usage: node node_client.js BASE_URL API_KEY   (the server's page size must be 2)
// Prints "node scenarios passed: N" and exits 0, or exits 1 with the first broken expectation.
'use strict';
const algorithmia = require('algorithmia');

const [base, key] = process.argv.slice(2);
const client = algorithmia.client(key, base);
let passed = 0;

function check(condition, what) {
  if (!condition) throw new Error(what);
  passed += 1;
}

const call = (algo, input) => new Promise((resolve) => client.algo(algo).pipe(input).then(resolve));
const req = (fn) => new Promise((resolve) => fn((...args) => resolve(args)));

async function main() {
  // Algorithm calls: text, JSON, binary, an algorithm error, raw and void output.
  let r = await call('demo/Hello', 'node');
  check(r.get() === 'Hello node', `text result ${r.result}`);
  check(r.metadata.content_type === 'text' && r.metadata.duration >= 0, 'text metadata');
  r = await call('util/Echo/1.0.0', { a: [1, 2] });
  check(JSON.stringify(r.get()) === '{"a":[1,2]}', 'json result');
  r = await call('util/Echo', Buffer.from([0, 1, 254, 255]));
  check(Buffer.compare(r.get(), Buffer.from([0, 1, 254, 255])) === 0, 'binary result');
  r = await call('util/Fail', { message: 'node fail', error_type: 'InputError' });
  check(r.error && r.error.message === 'node fail', 'algorithm error message');
  check(r.error.error_type === 'InputError', 'algorithm error type');
  let threw = false;
  try { r.get(); } catch (e) { threw = String(e).includes('node fail'); }
  check(threw, 'get() throws the error');
  r = await call('util/Echo?output=raw', 'raw text');
  check(r.status === 200, 'raw status');
  r = await call('util/Delay?output=void', { ms: 10 });
  check(r.status === 200, 'void status');
  r = await call('nobody/Nothing', 'x');
  check(r.status === 404 && r.error.message.includes('not found'), 'unknown algorithm');

  // Files.
  const dir = client.dir('data://.my/nodecoll');
  const [exists] = await req((cb) => dir.exists(cb));
  if (exists) await req((cb) => dir.delete(true, cb));
  let [body, status] = await req((cb) => dir.create(cb));
  check(status === 200, `dir create ${status} ${JSON.stringify(body)}`);
  const file = dir.file('node file.txt');
  [body, status] = await req((cb) => file.putString('hi from node', cb));
  check(status === 200 && body.result === 'data://.my/nodecoll/node file.txt', `put ${JSON.stringify(body)}`);
  let [present] = await req((cb) => file.exists(cb));
  check(present === true, 'exists after put');
  let [err, data] = await req((cb) => file.get(cb));
  check(err === null && Buffer.isBuffer(data) && data.toString() === 'hi from node', 'get as bytes');
  [data] = await req((cb) => file.getString(cb));
  check(data === 'hi from node', `getString ${data}`);
  [body, status] = await req((cb) => file.putJson('{"n":1}', cb));
  check(status === 200, 'putJson');
  [data] = await req((cb) => file.getJson(cb));
  check(data.n === 1, 'getJson');
  [body, status] = await req((cb) => file.delete(cb));
  check(status === 200 && body.result.deleted === 1, 'delete file');
  [present] = await req((cb) => file.exists(cb));
  check(present === false, 'exists after delete');

  // Listing across pages. Node 0.3.x indexes a page's files wrongly when the same page also has
  // folders, so this directory holds files only.
  for (let i = 0; i < 5; i++) {
    await req((cb) => dir.file(`f${i}.txt`).putString(`file ${i}`, cb));
  }
  const names = [];
  await new Promise((resolve) => dir.forEachFile((e, f) => { check(!e, 'listing error'); names.push(f.basename()); }).then(resolve));
  check(names.join(',') === 'f0.txt,f1.txt,f2.txt,f3.txt,f4.txt', `files across pages: ${names}`);

  // Forced and unforced delete of a non-empty directory.
  [body, status] = await req((cb) => dir.delete(false, cb));
  check(status === 400 && body.error.message.includes('not empty'), 'delete without force');
  [body, status] = await req((cb) => dir.delete(true, cb));
  check(status === 200 && body.result.deleted === 5, `forced delete ${JSON.stringify(body)}`);

  console.log(`node scenarios passed: ${passed}`);
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
