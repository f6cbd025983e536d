// http-strict.test.mjs - what a hostile or careless client sent that the
// HTTP layer used to accept (#12 items 2, 3, 4, 8), each over a fresh raw
// connection, with the exact bytes on the wire:
//   - a raw NUL in the target or a header value, %00 in the path or a
//     parameter -> 400 INVALID_REQUEST (a bearer token followed by \0junk
//     authenticated; .../profile%00/image was routed to .../profile);
//   - two Host headers -> 400; two Content-Length headers -> one 400 and the
//     connection closed, the smuggled request never answered;
//     Content-Length with Transfer-Encoding: chunked -> answered, then closed;
//   - more than 64 query parameters or a target over 2,048 bytes (query
//     included) -> 414 at once (228 parameters used to leave the client
//     waiting 30 s with nothing);
//   - an absolute-form target is served as its path; a bearer token with
//     trailing whitespace is accepted; LF-only lines are still served.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { useTenant, http, IDS, ACC_A } from './lib/server.mjs';

// Sends raw bytes on a new connection; resolves with everything the server
// sent until it closed (or until `ms` passed: then timedOut is true).
function raw(port, bytes, ms = 5000) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.end(Buffer.from(bytes, 'latin1')));
    const timer = setTimeout(() => { sock.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), timedOut: true }); }, ms);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => { clearTimeout(timer); resolve({ text: Buffer.concat(chunks).toString('latin1'), timedOut: false }); });
  });
}
// Like raw() but keeps the write side open (a client that waits for more answers).
function rawOpen(port, bytes, ms = 3000) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.write(Buffer.from(bytes, 'latin1')));
    const timer = setTimeout(() => { sock.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false }); }, ms);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => { clearTimeout(timer); sock.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true }); });
  });
}
const statuses = (t) => [...t.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
const bodyOf = (t) => t.slice(t.indexOf('\r\n\r\n') + 4);

describe('strict HTTP framing and targets', () => {
  const env = useTenant();
  const port = () => Number(new URL(env.base).port);
  const path = () => `/restapi/v2.1/accounts/${ACC_A}/users/${IDS.ann}/profile`;
  const auth = () => `Authorization: Bearer ${env.tokens.ann}\r\n`;
  const get = (target, headers) => `GET ${target} HTTP/1.1\r\nHost: t\r\n${headers}Connection: close\r\n\r\n`;

  it('control: the plain request is served', async () => {
    const r = await raw(port(), get(path(), auth()));
    assert.deepEqual(statuses(r.text), [200]);
  });

  it('a raw NUL in the request target -> 400 INVALID_REQUEST', async () => {
    const r = await raw(port(), get(`${path()}\0junk`, auth()));
    assert.deepEqual(statuses(r.text), [400]);
    assert.equal(JSON.parse(bodyOf(r.text)).errorCode, 'INVALID_REQUEST');
  });

  it('a raw NUL in a header value, last or not -> 400 (token\\0junk no longer authenticates)', async () => {
    const last = await raw(port(), `GET ${path()} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer ${env.tokens.ann}\0junk\r\n\r\n`);
    assert.deepEqual(statuses(last.text), [400]);
    const mid = await raw(port(), get(path(), `Authorization: Bearer ${env.tokens.ann}\0junk\r\nAccept: application/json\r\n`));
    assert.deepEqual(statuses(mid.text), [400]);
  });

  it('%00 in the path or in a parameter -> 400 (.../profile%00/image is not .../profile)', async () => {
    for (const target of [`${path()}%00/image`, `${path()}%00`, `${path()}/image?encoding=base64%00x`, '/healthz?x=%00', '/healthz?x=a%00'.replace('a', 'A')]) {
      const r = await raw(port(), get(target, auth()));
      assert.deepEqual(statuses(r.text), [400], target);
    }
  });

  it('two Host headers -> 400', async () => {
    const r = await raw(port(), get(path(), `Host: other\r\n${auth()}`));
    assert.deepEqual(statuses(r.text), [400]);
  });

  it('two Content-Length headers -> one 400, connection closed, the smuggled request never answered, nothing written', async () => {
    const body = '{"title":"Smuggled"}';
    const smuggled = `GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n`;
    for (const [a, b] of [[body.length, body.length + smuggled.length], [body.length, body.length]]) {
      const bytes = `PUT ${path()} HTTP/1.1\r\nHost: t\r\n${auth()}Content-Type: application/json\r\n` +
        `Content-Length: ${a}\r\nContent-Length: ${b}\r\n\r\n${body}${smuggled}`;
      const r = await rawOpen(port(), bytes);
      assert.deepEqual(statuses(r.text), [400], `${a}/${b}`);
      assert.equal(r.closed, true, 'the server closed the connection');
    }
    const g = await http('GET', `${env.base}${path()}`, { token: env.tokens.ann });
    assert.notEqual(g.json().title, 'Smuggled');
  });

  it('Content-Length with Transfer-Encoding: chunked -> answered, then the connection closed', async () => {
    const body = '{"title":"Chunked"}';
    const bytes = `PUT ${path()} HTTP/1.1\r\nHost: t\r\n${auth()}Content-Type: application/json\r\n` +
      `Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const r = await rawOpen(port(), bytes);
    assert.deepEqual(statuses(r.text), [200]);
    assert.match(r.text, /^Connection: close/mi);
    assert.equal(r.closed, true);
  });

  it('more than 64 query parameters -> 414 at once (300 used to hang 30 s); 64 are fine', async () => {
    const many = Array.from({ length: 300 }, (_, i) => `a${i}=1`).join('&');
    const r = await raw(port(), get(`/healthz?${many}`, ''), 10000);
    assert.equal(r.timedOut, false, 'an answer, not silence');
    assert.deepEqual(statuses(r.text), [414]);
    assert.equal(JSON.parse(bodyOf(r.text)).errorCode, 'URI_TOO_LONG');
    const at = Array.from({ length: 64 }, (_, i) => `a${i}=1`).join('&');
    assert.deepEqual(statuses((await raw(port(), get(`/healthz?${at}`, ''))).text), [200]);
    const over = `${at}&a64=1`;
    assert.deepEqual(statuses((await raw(port(), get(`/healthz?${over}`, ''))).text), [414]);
  });

  it('the 2,048-byte limit counts the whole target, query included', async () => {
    const pad = (n) => `/healthz?x=${'a'.repeat(n - '/healthz?x='.length)}`;
    assert.deepEqual(statuses((await raw(port(), get(pad(2048), ''))).text), [200]);
    assert.deepEqual(statuses((await raw(port(), get(pad(2049), ''))).text), [414]);
    assert.deepEqual(statuses((await raw(port(), get(pad(8192), ''))).text), [414]);
  });

  it('an absolute-form target is served as its path', async () => {
    const origin = await raw(port(), get(path(), auth()));
    const absolute = await raw(port(), get(`http://127.0.0.1:${port()}${path()}`, auth()));
    assert.deepEqual(statuses(absolute.text), [200]);
    assert.deepEqual(JSON.parse(bodyOf(absolute.text)), JSON.parse(bodyOf(origin.text)));
  });

  it('a bearer token with trailing spaces or a tab is accepted', async () => {
    for (const ws of [' ', '  ', '\t', ' \t ']) {
      const r = await raw(port(), get(path(), `Authorization: Bearer ${env.tokens.ann}${ws}\r\n`));
      assert.deepEqual(statuses(r.text), [200], JSON.stringify(ws));
    }
  });

  it('LF-only line endings are still served (no false NUL alarm)', async () => {
    const r = await raw(port(), `GET ${path()} HTTP/1.1\nHost: t\nAuthorization: Bearer ${env.tokens.ann}\nAccept: application/json\nConnection: close\n\n`);
    assert.deepEqual(statuses(r.text), [200]);
  });
});
