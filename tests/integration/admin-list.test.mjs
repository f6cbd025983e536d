// admin-list.test.mjs - GET …/organizations/{id}/users over plain HTTP:
// paging walked end to end by following paging.next verbatim, every
// filter, the bounds of take/start/end, and bad query values answered 400
// in the Admin error shape with a message naming the parameter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { http, NO_BURST_LIMITS } from './lib/server.mjs';
import {
  useAdminTenant, assertAdminError, orgUrl, U, ORG1, ORG2, ACC_A, ACC_B, ACC_C, DOMAIN1, DOMAIN2,
  BULK_USERS, org1Users, buildAdminTenant,
} from './lib/admin-tenant.mjs';

const ALL = org1Users();
const sortedIds = (users) => users.map((u) => u.userId).sort();

describe('Admin API user list', () => {
  const env = useAdminTenant({ extraArgs: NO_BURST_LIMITS });
  const list = (query, token = env.tokens.oona, prefix = '/v2') =>
    http('GET', `${orgUrl(env.base, ORG1, prefix)}/users${query}`, { token });
  async function ok(query) {
    const r = await list(query);
    assert.equal(r.status, 200, `${query}: ${r.text().slice(0, 300)}`);
    return r.json();
  }

  it('walks every page by following paging.next verbatim: nobody missed or repeated', async () => {
    for (const take of [1, 7, 20, 250]) {
      let page = await ok(`?take=${take}`);
      const seen = [];
      let n = 0;
      for (;;) {
        assert.equal(page.paging.total_set_size, ALL.length);
        assert.equal(page.paging.result_set_size, page.users.length);
        assert.equal(page.paging.result_set_start_position, seen.length);
        if (page.users.length) assert.equal(page.paging.result_set_end_position, seen.length + page.users.length - 1);
        assert.ok(page.users.length <= take);
        seen.push(...page.users.map((u) => u.id));
        n++;
        if (!page.paging.next) break;
        assert.ok(page.paging.next.startsWith(`${env.base}/v2/organizations/${ORG1}/users?`), page.paging.next);
        const r = await http('GET', page.paging.next, { token: env.tokens.oona });
        assert.equal(r.status, 200);
        page = r.json();
        if (take === 1 && n > ALL.length + 1) assert.fail('paging does not end');
      }
      assert.equal(new Set(seen).size, seen.length, `take=${take}: a user repeated`);
      assert.deepEqual(seen, sortedIds(ALL), `take=${take}`);
      assert.equal(n, Math.ceil(ALL.length / take));
    }
  });

  it('previous links go back one page and the first page has none', async () => {
    const p0 = await ok('?take=50');
    assert.equal(p0.paging.previous, undefined);
    const p1 = (await http('GET', p0.paging.next, { token: env.tokens.oona })).json();
    assert.ok(p1.paging.previous);
    const back = (await http('GET', p1.paging.previous, { token: env.tokens.oona })).json();
    assert.deepEqual(back.users.map((u) => u.id), p0.users.map((u) => u.id));
    const mid = await ok('?start=30&take=50');
    assert.match(mid.paging.previous, /[?&]start=0&take=50/);
  });

  it('next keeps every filter and works under /Management/v2.1 too', async () => {
    const r = await list(`?take=5&account_id=${ACC_B.toUpperCase()}&status=active&email_user_name_like=bulk`,
      env.tokens.oona, '/Management/v2.1');
    assert.equal(r.status, 200);
    const page = r.json();
    const u = new URL(page.paging.next);
    assert.equal(u.pathname, `/Management/v2.1/organizations/${ORG1}/users`);
    assert.equal(u.searchParams.get('account_id'), ACC_B.toUpperCase());
    assert.equal(u.searchParams.get('status'), 'active');
    assert.equal(u.searchParams.get('email_user_name_like'), 'bulk');
    assert.equal(u.searchParams.get('start'), '5');
    const expected = BULK_USERS - BULK_USERS / 10;
    assert.equal(page.paging.total_set_size, expected);
    let seen = page.users.length;
    let next = page.paging.next;
    while (next) {
      const p = (await http('GET', next, { token: env.tokens.oona })).json();
      for (const x of p.users) assert.equal(x.user_status, 'active');
      seen += p.users.length;
      next = p.paging.next;
    }
    assert.equal(seen, expected);
  });

  it('no next on the last page, an empty page past the end', async () => {
    const last = await ok(`?start=${ALL.length - 3}&take=10`);
    assert.equal(last.users.length, 3);
    assert.equal(last.paging.next, undefined);
    const past = await ok(`?start=${ALL.length + 100}`);
    assert.deepEqual(past.users, []);
    assert.equal(past.paging.result_set_size, 0);
    assert.equal(past.paging.total_set_size, ALL.length);
    assert.equal(past.paging.next, undefined);
    assert.equal(past.paging.result_set_end_position, undefined);
  });

  it('take defaults to 20; end selects start..end when take is absent', async () => {
    assert.equal((await ok('')).users.length, 20);
    const e = await ok('?start=10&end=14');
    assert.equal(e.users.length, 5);
    assert.deepEqual(e.users.map((u) => u.id), sortedIds(ALL).slice(10, 15));
    const both = await ok('?start=0&take=3&end=100');
    assert.equal(both.users.length, 3, 'end is ignored when take is given');
    assert.equal((await ok('?take=250')).users.length, 250);
  });

  it('filter email: exact, case-insensitive, no wildcard', async () => {
    const r = await ok('?email=DAN.DUAL%40acme.test');
    assert.deepEqual(r.users.map((u) => u.id), [U.dan.userId]);
    assert.equal(r.paging.total_set_size, 1);
    assert.deepEqual((await ok('?email=dan%25%40acme.test')).users, []);
    assert.deepEqual((await ok('?email=cara%40globex.test')).users, [], 'other organization');
  });

  it('filter email_user_name_like: substring of email or user name, case-insensitive', async () => {
    const r = await ok('?email_user_name_like=DUAL&take=250');
    assert.deepEqual(r.users.map((u) => u.id), [U.dan.userId]);
    const bulk = await ok('?email_user_name_like=bulk00&take=250');
    assert.equal(bulk.paging.total_set_size, 9);
    const byName = await ok('?email_user_name_like=gona%20gone');
    assert.deepEqual(byName.users.map((u) => u.id), [U.gone.userId]);
    assert.deepEqual((await ok('?email_user_name_like=%25')).users, [], '% is a character, not a wildcard');
    assert.deepEqual((await ok('?email_user_name_like=_')).users, []);
    assert.deepEqual((await ok('?email_user_name_like=globex')).users, [], 'other organization');
  });

  it('filter status and membership_status (and both)', async () => {
    const closed = await ok('?status=closed');
    assert.deepEqual(closed.users.map((u) => u.id).sort(), [U.gone.userId, U.off.userId, U.shut.userId].sort());
    const created = await ok('?status=CREATED&take=250');
    assert.equal(created.paging.total_set_size, 1 + BULK_USERS / 10);
    const disabled = await ok('?membership_status=disabled');
    assert.deepEqual(disabled.users.map((u) => [u.id, u.membership_status, u.user_status]),
      [[U.off.userId, 'disabled', 'closed']]);
    const sent = await ok('?membership_status=activation_sent');
    assert.deepEqual(sent.users.map((u) => u.id), [U.sent.userId]);
    const two = await ok('?membership_status=closed,disabled');
    assert.equal(two.paging.total_set_size, 3);
    const both = await ok('?status=closed&membership_status=active');
    assert.equal(both.paging.total_set_size, 0);
    assert.deepEqual(both.users, []);
  });

  it('filter account_id: members of that account only; a foreign account finds nobody', async () => {
    const a = await ok(`?account_id=${ACC_A}&take=250`);
    assert.equal(a.paging.total_set_size, 8);
    const b = await ok(`?account_id=${ACC_B}&take=250`);
    assert.equal(b.paging.total_set_size, BULK_USERS + 1);
    assert.ok(b.users.some((u) => u.id === U.dan.userId));
    const c = await ok(`?account_id=${ACC_C}`);
    assert.equal(c.paging.total_set_size, 0, 'account of another organization');
  });

  it('filter organization_reserved_domain_id', async () => {
    const d = await ok(`?organization_reserved_domain_id=${DOMAIN1}&take=250`);
    assert.equal(d.paging.total_set_size, ALL.length - 1, 'everyone but off@other-domain.test');
    assert.ok(!d.users.some((u) => u.id === U.off.userId));
    const foreign = await ok(`?organization_reserved_domain_id=${DOMAIN2}`);
    assert.equal(foreign.paging.total_set_size, 0, 'domain of another organization');
  });

  it('filter last_modified_since with Z, with an offset, and a date alone', async () => {
    const tenant = buildAdminTenant();
    const since = (iso) => ALL.filter((u) => new Date(u.userProfileLastModifiedDate) >= new Date(iso)).length;
    for (const [q, iso] of [
      ['2024-04-20T00:00:00Z', '2024-04-20T00:00:00Z'],
      ['2024-04-20T02:00:00%2B02:00', '2024-04-20T00:00:00Z'],
      ['2024-04-19T17:00:00-07:00', '2024-04-20T00:00:00Z'],
      ['2025-05-01', '2025-05-01T00:00:00Z'],
    ]) {
      const r = await ok(`?last_modified_since=${q}&take=1`);
      assert.equal(r.paging.total_set_size, since(iso), q);
    }
    // 100 ns after dan's change: the server compares at full precision
    assert.equal((await ok('?last_modified_since=2025-05-01T12:00:00.0000001Z')).paging.total_set_size, 0);
    const exact = await ok('?last_modified_since=2025-05-01T12:00:00Z');
    assert.deepEqual(exact.users.map((u) => u.id), [U.dan.userId]);
    assert.ok(tenant.users.length > ALL.length);
  });

  it('filters combine', async () => {
    const r = await ok(`?account_id=${ACC_A}&status=active&email_user_name_like=acme`);
    assert.deepEqual(r.users.map((u) => u.id).sort(),
      [U.oona.userId, U.ann.userId, U.bob.userId, U.dan.userId].sort());
  });

  it('bad query values answer 400 naming the parameter', async () => {
    for (const [q, name] of [
      ['?take=0', 'take'], ['?take=251', 'take'], ['?take=-1', 'take'], ['?take=abc', 'take'],
      ['?take=1e3', 'take'], ['?take=%2B5', 'take'], ['?take=99999999999999999999', 'take'],
      ['?start=-1', 'start'], ['?start=2147483648', 'start'], ['?start=9223372036854775807', 'start'],
      ['?start=1.5', 'start'], ['?end=-1', 'end'], ['?start=10&end=5', 'end'], ['?start=0&end=250', 'end'],
      ['?status=enabled', 'status'], ['?status=active,', 'status'], ['?membership_status=pending', 'membership_status'],
      ['?account_id=12345', 'account_id'], ['?account_id=aaaaaaaa-2222-4222-8333-00000000000', 'account_id'],
      ['?organization_reserved_domain_id=acme.test', 'organization_reserved_domain_id'],
      ['?last_modified_since=2024-04-20T00:00:00', 'last_modified_since'],
      ['?last_modified_since=2024-02-30', 'last_modified_since'],
      ['?last_modified_since=2024-13-01T00:00:00Z', 'last_modified_since'],
      ['?last_modified_since=2024-01-01T24:00:00Z', 'last_modified_since'],
      ['?last_modified_since=yesterday', 'last_modified_since'],
      ['?last_modified_since=2024-01-01T00:00:00Zjunk', 'last_modified_since'],
      ['?include_license=yes', 'include_license'], ['?include_ds_groups=1', 'include_ds_groups'],
      ['?take=5&take=6', 'take'], ['?email=a%40b.c&email=d%40e.f', 'email'],
      [`?email=${'a'.repeat(101)}`, 'email'], ['?email=a%0Ab%40c.d', 'email'],
      ['?email=bob%40acme.test%00x', 'email'], ['?email_user_name_like=bob%00', 'email_user_name_like'],
      ['?take=5%00', 'take'],
    ]) {
      const j = assertAdminError(await list(q), 400, 'invalid_request', q);
      assert.ok(j.error_description.includes(`'${name}'`), `${q}: ${j.error_description}`);
    }
  });

  it('bad organization ids answer 400', async () => {
    for (const org of ['not-a-guid', '0a0a0a0a00004000800000000000000a1', "0a0a0a0a-0000-4000-8000-0000000000a1'--"]) {
      const r = await http('GET', `${env.base}/v2/organizations/${encodeURIComponent(org)}/users`, { token: env.tokens.oona });
      assertAdminError(r, 400, 'invalid_request', org);
    }
  });

  it('unicode and SQL-looking filter values are plain text', async () => {
    for (const v of ["' OR 1=1 --", '") OR ("1"="1', 'ü@ä.test', '\u{1F600}', 'a\\b', '%%', "x' UNION SELECT password_hash FROM users --"]) {
      const e = encodeURIComponent(v);
      assert.deepEqual((await ok(`?email=${e}`)).users, [], v);
      assert.deepEqual((await ok(`?email_user_name_like=${e}`)).users, [], v);
    }
    const r = await ok(`?email=${encodeURIComponent("oona@acme.test' OR '1'='1")}`);
    assert.equal(r.paging.total_set_size, 0);
  });

  it('the other organization sees only its own users', async () => {
    const r = await http('GET', `${orgUrl(env.base, ORG2)}/users?take=250`, { token: env.tokens.xena });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json().users.map((u) => u.id).sort(), [U.xena.userId, U.cara.userId].sort());
  });
});
