// tests/integration/lib/admin-tenant.mjs - the tenant the Admin API tests
// import: two organizations with administrators, accounts, reserved
// domains and identities, a user with memberships in two accounts, users in
// every status, and BULK_USERS generated users in one account so that
// paging has a few hundred rows to walk.  Built in code (not a fixture
// file) so the bulk part stays readable; writeAdminTenant() writes it to a
// temporary file for `profiled import`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { tempDir, freshDb, cliOk, importFile, mintToken, startServer } from './server.mjs';

export const ORG1 = '0a0a0a0a-0000-4000-8000-0000000000a1';
export const ORG2 = '0b0b0b0b-0000-4000-8000-0000000000b2';
export const ACC_A = 'aaaaaaaa-2222-4222-8333-00000000000a';   // ORG1, 8100001
export const ACC_B = 'bbbbbbbb-2222-4222-8333-00000000000b';   // ORG1, 8100002
export const ACC_C = 'cccccccc-2222-4222-8333-00000000000c';   // ORG2, 8200001
export const ACC_LOOSE = 'dddddddd-2222-4222-8333-00000000000d'; // no organization, 8300001
export const DOMAIN1 = 'd0d0d0d0-0000-4000-8000-0000000000d1'; // acme.test, ORG1
export const DOMAIN2 = 'd0d0d0d0-0000-4000-8000-0000000000d2'; // globex.test, ORG2
export const BULK_USERS = 300;

const guid = (prefix, n) => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function user(id, email, first, last, extra = {}) {
  return {
    userId: id,
    email,
    userStatus: 'Active',
    createdDateTime: '2024-01-02T03:04:05.0000000Z',
    userProfileLastModifiedDate: '2024-02-01T00:00:00.0000000Z',
    profile: {
      userDetails: {
        firstName: first,
        lastName: last,
        userSettings: [{ name: 'locale', value: 'en' }],
      },
    },
    ...extra,
  };
}

export const U = {
  // administrator of ORG1 (also a plain member of account A)
  oona: user('00000000-0000-4000-8000-0000000a0001', 'oona@acme.test', 'Oona', 'Org',
    { createdDateTime: '2023-06-30T23:30:00.0000000Z', lastLogin: '2025-03-01T08:00:00.1230000Z' }),
  // account admin of A, not an organization administrator
  ann: user('00000000-0000-4000-8000-0000000a0002', 'ann@acme.test', 'Ann', 'Archer'),
  // plain member of A
  bob: user('00000000-0000-4000-8000-0000000a0003', 'bob@acme.test', 'Bob', 'Brown'),
  // member of A (admin, groups, profile 1) and B (profile 22): two memberships, identities
  dan: user('00000000-0000-4000-8000-0000000a0004', 'Dan.Dual@Acme.test', 'Dan', 'Dual', {
    createdDateTime: '2024-12-31T23:59:59.5000000Z',
    lastLogin: '2025-01-15T16:45:30.2500000Z',
    userProfileLastModifiedDate: '2025-05-01T12:00:00.0000000Z',
    profile: {
      userDetails: {
        firstName: 'Dan', lastName: 'Dual', userName: 'Dan Dual',
        userSettings: [{ name: 'locale', value: 'fr' }],
      },
    },
  }),
  // ORG1 users in other statuses
  sent: user('00000000-0000-4000-8000-0000000a0005', 'sent@acme.test', 'Sena', 'Sent',
    { userStatus: 'ActivationSent' }),
  gone: user('00000000-0000-4000-8000-0000000a0006', 'gone@acme.test', 'Gona', 'Gone',
    { userStatus: 'Closed' }),
  off: user('00000000-0000-4000-8000-0000000a0007', 'off@other-domain.test', 'Offa', 'Off',
    { userStatus: 'Disabled' }),
  // administrator of ORG2 and member of C
  xena: user('00000000-0000-4000-8000-0000000b0001', 'xena@globex.test', 'Xena', 'Globex'),
  // member of C only: must never be seen through ORG1
  cara: user('00000000-0000-4000-8000-0000000b0002', 'cara@globex.test', 'Cara', 'Globex'),
  // member of an account without organization
  lone: user('00000000-0000-4000-8000-0000000c0001', 'lone@loose.test', 'Lone', 'Wolf'),
  // administrator of ORG1 whose status is Closed (refused like any inactive user)
  shut: user('00000000-0000-4000-8000-0000000a0008', 'shut@acme.test', 'Shut', 'Admin',
    { userStatus: 'Closed' }),
};

export const IDENTITIES = [
  { identityId: 'e0e0e0e0-0000-4000-8000-000000000001', userId: U.dan.userId,
    providerId: 'okta-acme', immutableId: 'dan-immutable-1' },
  { identityId: 'e0e0e0e0-0000-4000-8000-000000000002', userId: U.dan.userId,
    providerId: 'azure-acme', immutableId: 'dan-immutable-2' },
];

export function bulkUsers() {
  const out = [];
  for (let i = 1; i <= BULK_USERS; i++) {
    const n = String(i).padStart(3, '0');
    out.push({
      userId: guid('0000b00c', i),
      email: `bulk${n}@acme.test`,
      userStatus: i % 10 === 0 ? 'ActivationRequired' : 'Active',
      createdDateTime: '2024-03-01T00:00:00.0000000Z',
      userProfileLastModifiedDate: `2024-04-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00.0000000Z`,
      profile: { userDetails: { firstName: `Bulk${n}`, lastName: 'Person' } },
    });
  }
  return out;
}

export function buildAdminTenant() {
  const bulk = bulkUsers();
  const m = (acc, u, extra = {}) => ({ accountId: acc, userId: u.userId, isAdmin: false, ...extra });
  return {
    format: 'profiled-import',
    version: 1,
    organizations: [
      { organizationId: ORG1, name: 'Acme Holdings', siteId: 1, siteName: 'DEMO' },
      { organizationId: ORG2, name: 'Globex' },
    ],
    accounts: [
      {
        accountId: ACC_A, accountNumber: 8100001, accountName: 'Acme Sales', organizationId: ORG1,
        permissionProfiles: [
          { permissionProfileId: '1', permissionProfileName: 'Account Administrator' },
          { permissionProfileId: '2', permissionProfileName: 'DocuSign Sender' },
        ],
        groups: [
          { groupId: '10', groupName: 'Administrators', groupType: 'AdminGroup' },
          { groupId: '11', groupName: 'Everyone', groupType: 'EveryoneGroup' },
          { groupId: '12', groupName: 'Sales', groupType: 'CustomGroup' },
        ],
      },
      {
        accountId: ACC_B, accountNumber: 8100002, accountName: 'Acme Legal', organizationId: ORG1,
        permissionProfiles: [{ permissionProfileId: '22', permissionProfileName: 'DocuSign Sender' }],
        groups: [{ groupId: '21', groupName: 'Everyone', groupType: 'EveryoneGroup' }],
      },
      { accountId: ACC_C, accountNumber: 8200001, accountName: 'Globex Main', organizationId: ORG2,
        groups: [{ groupId: '31', groupName: 'Everyone', groupType: 'EveryoneGroup' }] },
      { accountId: ACC_LOOSE, accountNumber: 8300001, accountName: 'Loose' },
    ],
    users: [...Object.values(U), ...bulk],
    memberships: [
      m(ACC_A, U.oona, { permissionProfileId: '2', groupIds: ['11'] }),
      m(ACC_A, U.ann, { isAdmin: true, permissionProfileId: '1', groupIds: ['10', '11'] }),
      m(ACC_A, U.bob, { permissionProfileId: '2', groupIds: ['11'] }),
      m(ACC_A, U.dan, { isAdmin: true, permissionProfileId: '1', groupIds: ['10', '11', '12'] }),
      m(ACC_B, U.dan, { permissionProfileId: '22', groupIds: ['21'] }),
      m(ACC_A, U.sent),
      m(ACC_A, U.gone),
      m(ACC_A, U.off),
      m(ACC_A, U.shut),
      m(ACC_C, U.xena, { groupIds: ['31'] }),
      m(ACC_C, U.cara, { groupIds: ['31'] }),
      m(ACC_LOOSE, U.lone),
      ...bulk.map((u) => m(ACC_B, u, { permissionProfileId: '22', groupIds: ['21'] })),
    ],
    organizationAdmins: [
      { organizationId: ORG1, userId: U.oona.userId },
      { organizationId: ORG1, userId: U.shut.userId },
      { organizationId: ORG2, userId: U.xena.userId },
    ],
    reservedDomains: [
      { domainId: DOMAIN1, organizationId: ORG1, domain: 'acme.test', status: 'active' },
      { domainId: DOMAIN2, organizationId: ORG2, domain: 'globex.test' },
    ],
    userIdentities: IDENTITIES,
  };
}

/** Writes the tenant to a temporary file and returns its path. */
export function writeAdminTenant(tenant = buildAdminTenant()) {
  const file = path.join(tempDir(), 'admin-tenant.json');
  writeFileSync(file, JSON.stringify(tenant, null, 1));
  return file;
}

/** The users of ORG1 (members of A or B), as imported. */
export function org1Users(tenant = buildAdminTenant()) {
  const inOrg1 = new Set(tenant.memberships
    .filter((x) => x.accountId === ACC_A || x.accountId === ACC_B).map((x) => x.userId));
  return tenant.users.filter((u) => inOrg1.has(u.userId));
}

/**
 * At the top of a describe(): a fresh database with the admin tenant
 * imported, a server, and tokens: {oona (org admin of ORG1), ann (account
 * admin, not org admin), bob (plain user), xena (admin of ORG2)} with
 * user_read; oonaNoScope (signature impersonation only); oonaExpired
 * (expired); shut (an ORG1 administrator who is Closed).  Returns an object
 * filled by the before() hook: {db, server, base, tokens}.
 */
export function useAdminTenant({ extraArgs = [] } = {}) {
  const env = {};
  before(async () => {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, writeAdminTenant());
    const t = (u, opts = { scope: 'user_read' }) => mintToken(db.url, u.userId, opts);
    const tokens = {
      oona: t(U.oona), ann: t(U.ann), bob: t(U.bob), xena: t(U.xena), shut: t(U.shut),
      oonaNoScope: t(U.oona, { scope: 'signature impersonation' }),
      oonaExpired: t(U.oona, { scope: 'user_read', ttl: 60, issuedAt: Math.floor(Date.now() / 1000) - 7200 }),
      oonaAll: t(U.oona, { scope: 'signature user_read user_write organization_read' }),
    };
    const server = await startServer({ db: db.url, extraArgs });
    Object.assign(env, { db, server, base: server.base, tokens });
  });
  after(async () => {
    if (env.server) {
      const r = await env.server.stop('SIGTERM');
      assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null },
        `server did not exit cleanly: ${env.server.stderr().slice(-2000)}`);
    }
  });
  return env;
}

/** Asserts an Admin API error: status, {error, error_description} and nothing else. */
export function assertAdminError(res, status, error, what = '') {
  const text = res.body.toString('utf8');
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status}: ${text.slice(0, 400)}`);
  const j = JSON.parse(text);
  assert.deepEqual(Object.keys(j).sort(), ['error', 'error_description'], `${what}: ${text}`);
  assert.equal(j.error, error, `${what}: ${text}`);
  assert.equal(typeof j.error_description, 'string');
  assert.ok(j.error_description.length > 0);
  return j;
}

export const orgUrl = (base, org = ORG1, prefix = '/v2') => `${base}${prefix}/organizations/${org}`;
