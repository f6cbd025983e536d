// metrics.test.mjs - GET /metrics against the real binary: the Prometheus
// text format parsed line by line (every sample in a declared family, valid
// names and labels), exact request counts by route pattern, method and
// status, histograms that add up, rate-limit refusals, cache lookups, open
// connections and the signing key's age; attacks: random paths never add a
// series (route patterns only), and only peers in metrics-allow may scrape
// (a forged X-Forwarded-For does not help).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  setupTenant, http, profileUrl, imageUrl, IDS, ACC_A, BIN,
} from './lib/server.mjs';

const PROFILE_ROUTE = '/accounts/{accountId}/users/{userId}/profile';

/** Parses the text format: {families: Map(name -> type), samples: [{name, labels, value}]}. */
function parse(text) {
  const families = new Map();
  const samples = [];
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.split('\n').slice(0, -1)) {
    let m;
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!families.has(m[1]), `family ${m[1]} declared twice`);
      families.set(m[1], m[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* \S/.test(line)) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[2] !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;
      let consumed = 0; let l;
      while ((l = re.exec(m[2])) !== null) { labels[l[1]] = l[2]; consumed = re.lastIndex; }
      assert.equal(consumed, m[2].length, `bad labels in ${line}`);
    }
    const value = Number(m[3] === '+Inf' ? Infinity : m[3]);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(families.has(m[1]) || (families.get(family) === 'histogram'), `${m[1]} has no TYPE`);
    samples.push({ name: m[1], labels, value });
  }
  return { families, samples };
}

const find = (p, name, labels) => p.samples.filter((s) => s.name === name
  && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const value = (p, name, labels) => find(p, name, labels).reduce((a, s) => a + s.value, 0);

describe('GET /metrics', () => {
  let env;
  const scrape = async () => {
    const r = await http('GET', `${env.base}/metrics`);
    assert.equal(r.status, 200, r.text());
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    return parse(r.text());
  };
  before(async () => {
    env = await setupTenant({ extraArgs: ['--threads', '1', '--rate-limit-burst', '1000', '--rate-limit-anonymous-burst', '3'] });
  });
  after(async () => env && env.teardown());

  it('counts requests by route pattern, method and status, exactly', async () => {
    const before1 = await scrape();
    const labels = { api: 'esign', route: PROFILE_ROUTE, method: 'GET' };
    const ok0 = value(before1, 'profiled_http_requests_total', { ...labels, status: '200' });
    const no0 = value(before1, 'profiled_http_requests_total', { ...labels, status: '403' });
    const cache = (p, result) => value(p, 'profiled_cache_lookups_total', { cache: 'response', result });
    const hit0 = cache(before1, 'hit');
    const miss0 = cache(before1, 'miss');
    for (let i = 0; i < 7; i++) {
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann })).status, 200);
    }
    for (let i = 0; i < 2; i++) {
      assert.equal((await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.bob })).status, 403);
    }
    const p = await scrape();
    assert.equal(value(p, 'profiled_http_requests_total', { ...labels, status: '200' }) - ok0, 7);
    assert.equal(value(p, 'profiled_http_requests_total', { ...labels, status: '403' }) - no0, 2);
    // the histogram of that route adds up: cumulative buckets, +Inf = count
    const buckets = find(p, 'profiled_http_request_duration_seconds_bucket', { route: PROFILE_ROUTE });
    assert.equal(buckets.length, 12);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value);
    assert.equal(buckets.at(-1).labels.le, '+Inf');
    const count = value(p, 'profiled_http_request_duration_seconds_count', { route: PROFILE_ROUTE });
    assert.equal(buckets.at(-1).value, count);
    assert.ok(count >= 9);
    assert.ok(value(p, 'profiled_http_request_duration_seconds_sum', { route: PROFILE_ROUTE }) > 0);
    // one worker thread: the first GET fills the response cache, the next six
    // hit it; bob's two are misses (keyed by caller, refusals are not kept)
    assert.equal(cache(p, 'hit') - hit0, 6);
    assert.equal(cache(p, 'miss') - miss0, 3);
    assert.ok(value(p, 'profiled_cache_lookups_total', { cache: 'token', result: 'hit' }) >= 6);
    assert.equal(p.families.get('profiled_http_request_duration_seconds'), 'histogram');
    assert.ok(value(p, 'profiled_open_connections', { listener: 'http' }) >= 1);
    assert.equal(value(p, 'profiled_signing_keys', {}), 1);
    const age = value(p, 'profiled_signing_key_age_seconds', {});
    assert.ok(age >= 0 && age < 600, `key age ${age}`);
    assert.equal(value(p, 'profiled_db_errors_total', {}), 0);
  });

  it('random paths never add a series: they all count as the one unmatched route', async () => {
    assert.equal((await http('GET', `${env.base}/warm-up`)).status, 404);   // the unmatched series exist
    const before1 = await scrape();
    const n0 = before1.samples.length;
    const u0 = value(before1, 'profiled_http_requests_total', { route: 'unmatched', status: '404' });
    for (let i = 0; i < 50; i++) {
      const junk = `/x${Math.random().toString(36).slice(2)}/"${i}\\/{y}`;
      assert.equal((await http('GET', `${env.base}${encodeURI(junk)}`)).status, 404);
    }
    const p = await scrape();
    assert.equal(value(p, 'profiled_http_requests_total', { route: 'unmatched', status: '404' }) - u0, 50);
    assert.equal(p.samples.length, n0, 'no new series');
    for (const s of p.samples) assert.ok(!JSON.stringify(s.labels).includes('/x'), 'a raw path in a label');
  });

  it('rate-limit refusals are counted', async () => {
    const r0 = value(await scrape(), 'profiled_ratelimit_refusals_total', { window: 'burst' });
    let refused = 0;
    for (let i = 0; i < 6; i++) {
      if ((await http('GET', profileUrl(env.base, ACC_A, IDS.ann))).status === 429) refused++;
    }
    assert.ok(refused >= 3);
    assert.equal(value(await scrape(), 'profiled_ratelimit_refusals_total', { window: 'burst' }) - r0, refused);
  });
});

describe('GET /metrics is only for metrics-allow', () => {
  let env;
  before(async () => {
    env = await setupTenant({ extraArgs: ['--metrics-allow', '10.0.0.0/8', '--trusted-proxies', '127.0.0.1'] });
  });
  after(async () => env && env.teardown());

  it('another peer gets 404, whatever X-Forwarded-For says', async () => {
    assert.equal((await http('GET', `${env.base}/metrics`)).status, 404);
    const r = await http('GET', `${env.base}/metrics`, { headers: { 'X-Forwarded-For': '10.1.2.3' } });
    assert.equal(r.status, 404);
    assert.ok(!r.text().includes('profiled_'));
  });
});

describe('GET /metrics off', () => {
  let env;
  before(async () => { env = await setupTenant({ extraArgs: ['--metrics-allow', ''] }); });
  after(async () => env && env.teardown());

  it('an empty metrics-allow turns it off', async () => {
    assert.equal((await http('GET', `${env.base}/metrics`)).status, 404);
  });
});

describe('--response-cache-mb 0: every GET reads the database', () => {
  let env;
  const scrape = async () => {
    const r = await http('GET', `${env.base}/metrics`);
    assert.equal(r.status, 200, r.text());
    return parse(r.text());
  };
  const cache = (p, result) => value(p, 'profiled_cache_lookups_total', { cache: 'response', result });
  before(async () => { env = await setupTenant({ extraArgs: ['--threads', '1', '--response-cache-mb', '0'] }); });
  after(async () => env && env.teardown());

  it('no hits, fresh answers after a change, ETags still honoured', async () => {
    const p0 = await scrape();
    const url = profileUrl(env.base, ACC_A, IDS.ann);
    const first = await http('GET', url, { token: env.tokens.ann });
    assert.equal(first.status, 200, first.text());
    for (let i = 0; i < 4; i++) {
      const r = await http('GET', url, { token: env.tokens.ann });
      assert.equal(r.status, 200);
      assert.equal(r.text(), first.text());
    }
    const put = await http('PUT', url, { token: env.tokens.ann, json: { title: 'Uncached Engineer' } });
    assert.equal(put.status, 200, put.text());
    const after1 = await http('GET', url, { token: env.tokens.ann });
    assert.equal(after1.json().title, 'Uncached Engineer');
    const img = await http('GET', imageUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann });
    assert.equal(img.status, 200);
    const etag = img.headers.get('etag');
    assert.ok(etag);
    const again = await http('GET', imageUrl(env.base, ACC_A, IDS.ann),
      { token: env.tokens.ann, headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    const p = await scrape();
    assert.equal(cache(p, 'hit') - cache(p0, 'hit'), 0);
    assert.equal(cache(p, 'miss') - cache(p0, 'miss'), 8);
  });

  it('the setting is bounded', async () => {
    const r = spawnSync(BIN, ['serve', '--check-config', '--response-cache-mb', '1025'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /response-cache-mb must be an integer from 0 to 1024/);
  });
});
