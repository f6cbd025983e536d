// soap-hostile.test.mjs - SOAP envelopes from a hostile client: external
// entities (file and network), billion laughs, quadratic blowup, external
// DTDs, documents over the body limit, too many elements, deep nesting.
// Each is refused with a fault (or 413 before reading, for an oversized
// body) that discloses nothing, no network request leaves the server, and
// the server keeps answering others.  A stalled answer fails through the
// request timeout (a hang guard, not a speed measurement: bench/ measures).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodeHttp from 'node:http';
import { rawHttp, http, IDS, ACC_A } from './lib/server.mjs';
import { useLegacyTenant } from './lib/legacy.mjs';
import { AM, NS11, NS12, PATH, envelope, faultOf, bodyOf, getProfileBody } from './lib/soap.mjs';
import { textAt } from './lib/xml.mjs';

const HANG_GUARD_MS = 10_000;

describe('SOAP AccountManagement: hostile envelopes', () => {
  const env = useLegacyTenant();
  const canary = { hits: 0, server: null, port: 0 };

  before(async () => {
    canary.server = nodeHttp.createServer((req, res) => {
      canary.hits++;
      res.end('<!ENTITY leak "CANARY-SECRET">');
    });
    await new Promise((r) => canary.server.listen(0, '127.0.0.1', r));
    canary.port = canary.server.address().port;
  });
  after(() => new Promise((r) => canary.server.close(r)));

  const send = (v, xml, extra = {}) => rawHttp('POST', `${env.base}${PATH}`, {
    headers: { 'Content-Type': v === 12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8',
      Authorization: `Bearer ${env.tokens.ann}`, ...extra },
    body: Buffer.isBuffer(xml) ? xml : Buffer.from(xml), timeout: HANG_GUARD_MS,
  });

  async function stillAnswering() {
    const ping = await send(11, envelope(11, `<Ping xmlns="${AM}"/>`));
    assert.equal(ping.status, 200);
    assert.equal(textAt(bodyOf(ping, 11), 'PingResult'), 'true');
    assert.equal((await http('GET', `${env.base}/healthz`)).status, 200);
  }

  function payloads(v) {
    const p = v === 12 ? 'soap12' : 'soap';
    const ns = v === 12 ? NS12 : NS11;
    const wrap = (dtd, inner) => `<?xml version="1.0"?>\n${dtd}<${p}:Envelope xmlns:${p}="${ns}"><${p}:Body>`
      + `<GetUserProfile xmlns="${AM}"><UserId>${inner}</UserId><AccountId>${ACC_A}</AccountId></GetUserProfile></${p}:Body></${p}:Envelope>`;
    const lol = ['<!ENTITY lol0 "lol">'];
    for (let i = 1; i < 10; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
    const big = 'A'.repeat(40_000);
    return [
      ['XXE file', wrap(`<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, '&xxe;')],
      ['XXE network', wrap(`<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:${canary.port}/x">]>`, '&xxe;')],
      ['external DTD', wrap(`<!DOCTYPE x SYSTEM "http://127.0.0.1:${canary.port}/dtd">`, IDS.ann)],
      ['parameter entity', wrap(`<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:${canary.port}/p"> %p;]>`, '&leak;')],
      ['billion laughs', wrap(`<!DOCTYPE lolz [${lol.join('')}]>`, '&lol9;')],
      ['quadratic blowup', wrap(`<!DOCTYPE q [<!ENTITY a "${big}">]>`, '&a;'.repeat(100_000))],
      ['undeclared entity', wrap('', '&xxe;')],
      ['deep nesting', envelope(v, `<GetUserProfile xmlns="${AM}">${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</GetUserProfile>`)],
      ['too many elements', envelope(v, `<GetUserProfile xmlns="${AM}">${'<a/>'.repeat(100_000)}</GetUserProfile>`)],
    ];
  }

  for (const v of [11, 12]) {
    it(`entity attacks, deep and wide documents are faults that leak nothing, SOAP 1.${v === 11 ? 1 : 2}`, async () => {
      for (const [what, xml] of payloads(v)) {
        const res = await send(v, xml);
        assert.ok(res.status === 400 || res.status === 500 || res.status === 413, `${what}: ${res.status}`);
        if (res.status !== 413) {
          const f = faultOf(res, v);
          assert.equal(f.code, v === 11 ? 'Client' : 'Sender', `${what}: ${res.text().slice(0, 300)}`);
        }
        const t = res.text();
        for (const leak of ['root:', 'CANARY', 'lollollol', 'AAAAAAAAAA', '/etc/passwd']) {
          assert.ok(!t.includes(leak), `${what}: the answer discloses ${leak}`);
        }
        await stillAnswering();
      }
      assert.equal(canary.hits, 0, 'the server never fetched anything');
      assert.ok(!env.server.stderr().includes('root:'));
    });
  }

  it('a body over the SOAP limit is refused before it is read, declared or chunked', async () => {
    const huge = Buffer.from(envelope(11, getProfileBody(IDS.ann, ACC_A)).replace('<soap:Body>',
      `<soap:Body><!--${'x'.repeat(600 * 1024)}-->`));
    const r = await send(11, huge);
    assert.equal(r.status, 413);
    await stillAnswering();
    const chunked = await new Promise((resolve, reject) => {
      const req = nodeHttp.request({ method: 'POST', host: '127.0.0.1', port: env.server.port, path: PATH,
        headers: { 'Content-Type': 'text/xml', 'Transfer-Encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(413) : reject(e)));
      for (let i = 0; i < 40; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    assert.equal(chunked, 413);
    await stillAnswering();
  });

  it('many hostile requests in parallel do not stop the others', async () => {
    const bad = payloads(11).map(([, xml]) => xml);
    const all = [];
    for (let i = 0; i < 4; i++) for (const b of bad) all.push(send(11, b).then((r) => r.status));
    const good = send(11, envelope(11, getProfileBody(IDS.ann, ACC_A)));
    const statuses = await Promise.all(all);
    assert.ok(statuses.every((s) => s === 500 || s === 413), statuses.join(','));
    const g = await good;
    assert.equal(g.status, 200);
    assert.equal(textAt(bodyOf(g, 11), 'GetUserProfileResult/Success'), 'true');
    assert.equal(canary.hits, 0);
  });
});
