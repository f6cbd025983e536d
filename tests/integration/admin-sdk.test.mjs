// admin-sdk.test.mjs - the official docusign-admin SDK (3.x), unmodified,
// against a running profiled in a non-UTC time zone: getUserProfiles,
// getUserDSProfilesByEmail, getUserDSProfile and getUsers, results checked
// field by field against the imported data; Date values equal the stored
// instants (the SDK parses dates as local time unless they carry a zone).
import './lib/tz-los-angeles.mjs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  useAdminTenant, U, IDENTITIES, ORG1, ORG2, ACC_A, ACC_B, BULK_USERS, org1Users,
} from './lib/admin-tenant.mjs';

const require = createRequire(import.meta.url);
const admin = require('docusign-admin');

function usersApi(base, token, basePath = '/Management') {
  const c = new admin.ApiClient();
  c.setBasePath(`${base}${basePath}`);
  c.addDefaultHeader('Authorization', `Bearer ${token}`);
  return new admin.UsersApi(c);
}

/** Status and body of an SDK rejection ({statusCode, header, body} or a superagent error). */
async function sdkFailure(p) {
  try {
    await p;
  } catch (e) {
    const status = e.statusCode ?? e.status ?? e.response?.status;
    const body = e.body ?? e.response?.body;
    return { status, body };
  }
  assert.fail('the SDK call succeeded');
}

const instant = (s) => new Date(s).getTime();

/** The drilldown record of dan, checked field by field. */
function checkDan(u) {
  assert.ok(u instanceof admin.UserDrilldownResponse);
  assert.equal(u.id, U.dan.userId);
  assert.equal(u.site_id, 1);
  assert.equal(typeof u.site_id, 'number');
  assert.equal(u.site_name, 'DEMO');
  assert.equal(u.user_name, 'Dan Dual');
  assert.equal(u.first_name, 'Dan');
  assert.equal(u.last_name, 'Dual');
  assert.equal(u.user_status, 'active');
  assert.equal(u.default_account_id, ACC_A);
  assert.equal(u.default_account_name, 'Acme Sales');
  assert.equal(u.language_culture, 'fr');
  assert.equal(u.is_organization_admin, false);
  assert.ok(u.created_on instanceof Date);
  assert.equal(u.created_on.getTime(), instant(U.dan.createdDateTime));
  assert.equal(u.created_on.toISOString(), '2024-12-31T23:59:59.500Z');
  assert.ok(u.last_login instanceof Date);
  assert.equal(u.last_login.getTime(), instant(U.dan.lastLogin));
  assert.equal(u.federated_status, undefined);
  assert.equal(u.memberships.length, 2, 'memberships in two accounts');
  const [a, b] = u.memberships;
  assert.ok(a instanceof admin.MembershipResponse);
  assert.equal(a.email, 'dan.dual@acme.test');
  assert.equal(a.account_id, ACC_A);
  assert.equal(a.external_account_id, '8100001');
  assert.equal(typeof a.external_account_id, 'string');
  assert.equal(a.account_name, 'Acme Sales');
  assert.equal(a.is_external_account, false);
  assert.equal(a.status, 'active');
  assert.equal(a.is_admin, true);
  assert.equal(a.permission_profile.id, 1);
  assert.equal(typeof a.permission_profile.id, 'number');
  assert.equal(a.permission_profile.name, 'Account Administrator');
  assert.deepEqual(a.groups.map((g) => [g.id, g.name, g.type]),
    [[10, 'Administrators', 'admin_group'], [11, 'Everyone', 'everyone_group'], [12, 'Sales', 'custom_group']]);
  assert.equal(b.account_id, ACC_B);
  assert.equal(b.external_account_id, '8100002');
  assert.equal(b.account_name, 'Acme Legal');
  assert.equal(b.is_admin, false);
  assert.equal(b.permission_profile.id, 22);
  assert.equal(b.permission_profile.name, 'DocuSign Sender');
  assert.deepEqual(b.groups.map((g) => [g.id, g.name, g.type]), [[21, 'Everyone', 'everyone_group']]);
  assert.deepEqual(u.identities.map((i) => ({ ...i })).sort((x, y) => x.id.localeCompare(y.id)),
    IDENTITIES.map((i) => ({ id: i.identityId, provider_id: i.providerId, user_id: i.userId,
      immutable_id: i.immutableId })));
}

describe('docusign-admin SDK against profiled (TZ=America/Los_Angeles)', () => {
  const env = useAdminTenant();

  it('runs in a non-UTC time zone', () => {
    assert.equal(process.env.TZ, 'America/Los_Angeles');
    assert.notEqual(new Date('2024-07-01T00:00:00').getTimezoneOffset(), 0);
  });

  it('getUserProfiles by email (case-insensitive) returns the drilldown record', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUserProfiles(ORG1, { email: 'DAN.dual@acme.TEST' });
    assert.ok(r instanceof admin.UsersDrilldownResponse);
    assert.equal(r.users.length, 1);
    checkDan(r.users[0]);
  });

  it('getUserProfiles with the lower-case /management base path and the bare /v2', async () => {
    for (const bp of ['/management', '/MANAGEMENT', '']) {
      const r = await usersApi(env.base, env.tokens.oona, bp).getUserProfiles(ORG1, { email: 'dan.dual@acme.test' });
      assert.equal(r.users.length, 1, bp);
      checkDan(r.users[0]);
    }
  });

  it('getUserProfiles: the organization admin flag and dates of the admin herself', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUserProfiles(ORG1, { email: 'oona@acme.test' });
    const u = r.users[0];
    assert.equal(u.is_organization_admin, true);
    assert.equal(u.created_on.getTime(), instant('2023-06-30T23:30:00Z'));
    assert.equal(u.last_login.toISOString(), '2025-03-01T08:00:00.123Z');
    assert.equal(u.memberships.length, 1);
    assert.equal(u.memberships[0].is_admin, false);
    assert.deepEqual(u.identities, []);
  });

  it('getUserProfiles with no match gives an empty list, never null', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUserProfiles(ORG1, { email: 'nobody@acme.test' });
    assert.deepEqual(r.users, []);
  });

  it('getUserProfiles does not find users of another organization', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUserProfiles(ORG1, { email: 'cara@globex.test' });
    assert.deepEqual(r.users, []);
    const r2 = await usersApi(env.base, env.tokens.oona).getUserProfiles(ORG1, { email: 'lone@loose.test' });
    assert.deepEqual(r2.users, []);
  });

  it('getUserDSProfilesByEmail (v2.1) returns the same record', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUserDSProfilesByEmail(ORG1, { email: 'dan.dual@acme.test' });
    assert.equal(r.users.length, 1);
    checkDan(r.users[0]);
  });

  it('getUserDSProfile by id (v2.1)', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUserDSProfile(ORG1, U.dan.userId.toUpperCase());
    assert.equal(r.users.length, 1);
    checkDan(r.users[0]);
  });

  it('getUserDSProfile of a user outside the organization is 404, like a user that does not exist', async () => {
    const api = usersApi(env.base, env.tokens.oona);
    const foreign = await sdkFailure(api.getUserDSProfile(ORG1, U.cara.userId));
    const missing = await sdkFailure(api.getUserDSProfile(ORG1, '00000000-0000-4000-8000-00000000ffff'));
    assert.equal(foreign.status, 404);
    assert.deepEqual(foreign.body, missing.body);
  });

  it('the other organization admin sees her own users only', async () => {
    const api = usersApi(env.base, env.tokens.xena);
    const r = await api.getUserProfiles(ORG2, { email: 'cara@globex.test' });
    assert.equal(r.users.length, 1);
    assert.equal(r.users[0].site_id, undefined, 'no site: omitted');
    assert.equal(r.users[0].memberships[0].account_name, 'Globex Main');
    assert.equal(r.users[0].memberships[0].permission_profile, undefined);
    const none = await api.getUserProfiles(ORG2, { email: 'dan.dual@acme.test' });
    assert.deepEqual(none.users, []);
  });

  it('getUsers: a page with typed paging and every user field', async () => {
    const r = await usersApi(env.base, env.tokens.oona).getUsers(ORG1, { take: 5, accountId: ACC_A });
    assert.ok(r instanceof admin.OrganizationUsersResponse);
    assert.ok(r.paging instanceof admin.PagingResponseProperties);
    const inA = org1Users().filter((u) => [U.oona, U.ann, U.bob, U.dan, U.sent, U.gone, U.off, U.shut]
      .some((x) => x.userId === u.userId));
    assert.equal(r.paging.total_set_size, inA.length);
    assert.equal(r.paging.result_set_size, 5);
    assert.equal(r.paging.result_set_start_position, 0);
    assert.equal(r.paging.result_set_end_position, 4);
    assert.equal(typeof r.paging.next, 'string');
    assert.equal(r.paging.previous, undefined);
    const expected = inA.map((u) => u.userId).sort().slice(0, 5);
    assert.deepEqual(r.users.map((u) => u.id), expected);
    for (const u of r.users) {
      const src = inA.find((x) => x.userId === u.id);
      assert.ok(u instanceof admin.OrganizationUserResponse);
      assert.equal(u.email, src.email.toLowerCase());
      assert.equal(u.first_name, src.profile.userDetails.firstName);
      assert.equal(u.last_name, src.profile.userDetails.lastName);
      assert.equal(u.user_name, `${src.profile.userDetails.firstName} ${src.profile.userDetails.lastName}`);
      assert.equal(u.created_on.getTime(), instant(src.createdDateTime));
      const status = { Active: 'active', ActivationSent: 'created', Closed: 'closed', Disabled: 'closed' }[src.userStatus];
      assert.equal(u.user_status, status, src.email);
    }
  });

  it('getUsers follows paging.next through the whole organization', async () => {
    const api = usersApi(env.base, env.tokens.oona);
    let page = await api.getUsers(ORG1, { take: 100 });
    const seen = page.users.map((u) => u.id);
    let pages = 1;
    while (page.paging.next) {
      const u = new URL(page.paging.next);
      const q = Object.fromEntries(u.searchParams);
      page = await api.getUsers(ORG1, { start: q.start, take: q.take });
      seen.push(...page.users.map((x) => x.id));
      pages++;
    }
    const all = org1Users().map((u) => u.userId).sort();
    assert.equal(all.length, BULK_USERS + 8);
    assert.deepEqual(seen, all);
    assert.equal(pages, Math.ceil(all.length / 100));
  });
});
