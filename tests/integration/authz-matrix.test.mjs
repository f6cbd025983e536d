// authz-matrix.test.mjs - the authorization matrix, generated from one
// table: every route of the eSignature, Admin and SOAP surfaces (the user
// routes, all aimed at one target user, bob, a plain member of account A in
// organization ORG1) × every kind of caller, with the answer expected in
// each cell, one test per cell.  The expectations are the documented rules
// (docs/errors.md, auth/policy.c): profile: self or an admin of the
// account; image: self only; Admin API: an administrator of the
// organization with user_read; every caller must be an Active member and
// present a valid credential with the right scope.
//
// Callers:
//   self         bob, token with signature + user_read
//   accountAdmin ann, admin of account A (not of the organization)
//   otherMember  max, plain member of account A
//   nonMember    cara, member of account C (organization ORG2) only
//   orgAdmin     oona, administrator of ORG1, plain member of account A
//   noToken      no credentials at all
//   expired      bob's token, expired an hour ago
//   wrongScope   the caller the route would admit, with a token lacking its
//                scope (bob with "impersonation" on eSignature/SOAP, oona
//                with "signature" on the Admin API)
//   disabled     off, a member of A whose status is Disabled, valid token
//   legacy       bob's X-DocuSign-Authentication (email, password,
//                integrator key); the Admin API takes Bearer tokens only
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  freshDb, cliOk, importFile, mintToken, startServer, http, tempDir, NO_BURST_LIMITS,
} from './lib/server.mjs';
import { buildAdminTenant, U, ORG1, ACC_A } from './lib/admin-tenant.mjs';
import { importIntegration, jsonCreds } from './lib/legacy.mjs';
import { envelope, post, resultOf } from './lib/soap.mjs';
import { textAt } from './lib/xml.mjs';
import { makePng } from './lib/images.mjs';

const AM = 'http://www.docusign.net/API/AccountManagement';
const BOB_PASSWORD = 'Matrix-Pa55word!bob';
const MAX = { userId: '00000000-0000-4000-8000-0000000a0009', email: 'max@acme.test', userStatus: 'Active',
  createdDateTime: '2024-01-02T03:04:05.0000000Z', profile: { userDetails: { firstName: 'Max', lastName: 'Member' } } };
const BOB = U.bob.userId;
const CALLERS = ['self', 'accountAdmin', 'otherMember', 'nonMember', 'orgAdmin', 'noToken', 'expired',
  'wrongScope', 'disabled', 'legacy'];

// ---------------------------------------------------------------- the table
// eSignature cells: [status, errorCode]; Admin: [status, error]; SOAP: 'ok' or the ErrorCode.
const E = {
  ok: [200, null],
  perm: [403, 'USER_LACKS_PERMISSIONS'],
  notIn: [403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT'],
  noCred: [401, 'PARTNER_AUTHENTICATION_FAILED'],
  badTok: [401, 'AUTHORIZATION_INVALID_TOKEN'],
};
const A = { ok: [200, null], forbidden: [403, 'forbidden'], unauth: [401, 'invalid_token'] };

const profileRow = { self: E.ok, accountAdmin: E.ok, otherMember: E.perm, nonMember: E.notIn, orgAdmin: E.perm,
  noToken: E.noCred, expired: E.badTok, wrongScope: E.perm, disabled: E.badTok, legacy: E.ok };
const imageRow = { ...profileRow, accountAdmin: E.perm };
const adminRow = { self: A.forbidden, accountAdmin: A.forbidden, otherMember: A.forbidden, nonMember: A.forbidden,
  orgAdmin: A.ok, noToken: A.unauth, expired: A.unauth, wrongScope: A.forbidden, disabled: A.unauth,
  legacy: A.unauth };
const soapRow = { self: 'ok', accountAdmin: 'ok', otherMember: 'Not_Authorized', nonMember: 'Not_Authorized',
  orgAdmin: 'Not_Authorized', noToken: 'Partner_Authentication_Failed', expired: 'Invalid_Login',
  wrongScope: 'Not_Authorized', disabled: 'Invalid_Login', legacy: 'ok' };

const ROUTES = [
  { surface: 'esign', name: 'GET profile', method: 'GET', path: `/restapi/v2.1/accounts/${ACC_A}/users/${BOB}/profile`, expect: profileRow },
  { surface: 'esign', name: 'PUT profile', method: 'PUT', path: `/restapi/v2.1/accounts/${ACC_A}/users/${BOB}/profile`,
    json: { title: 'Matrix' }, expect: profileRow },
  { surface: 'esign', name: 'GET image', method: 'GET', path: `/restapi/v2.1/accounts/${ACC_A}/users/${BOB}/profile/image`,
    needsImage: true, expect: imageRow },
  { surface: 'esign', name: 'PUT image', method: 'PUT', path: `/restapi/v2.1/accounts/${ACC_A}/users/${BOB}/profile/image`,
    png: true, expect: imageRow },
  { surface: 'esign', name: 'DELETE image', method: 'DELETE', path: `/restapi/v2.1/accounts/${ACC_A}/users/${BOB}/profile/image`,
    needsImage: true, expect: imageRow },
  { surface: 'admin', name: 'GET users', method: 'GET', path: `/v2/organizations/${ORG1}/users`, expect: adminRow },
  { surface: 'admin', name: 'GET users/profile', method: 'GET', path: `/v2/organizations/${ORG1}/users/profile?email=bob%40acme.test`, expect: adminRow },
  { surface: 'admin', name: 'GET users/dsprofile', method: 'GET', path: `/v2.1/organizations/${ORG1}/users/dsprofile?email=bob%40acme.test`, expect: adminRow },
  { surface: 'admin', name: 'GET users/{userId}/dsprofile', method: 'GET', path: `/Management/v2/organizations/${ORG1}/users/${BOB}/dsprofile`, expect: adminRow },
  { surface: 'soap', name: 'GetUserProfile', op: 'GetUserProfile',
    body: `<GetUserProfile xmlns="${AM}"><UserId>${BOB}</UserId><AccountId>${ACC_A}</AccountId></GetUserProfile>`, expect: soapRow },
  { surface: 'soap', name: 'SetUserProfile', op: 'SetUserProfile',
    body: `<SetUserProfile xmlns="${AM}"><UserProfile><AccountId>${ACC_A}</AccountId><UserId>${BOB}</UserId>`
      + '<Title>Matrix SOAP</Title></UserProfile></SetUserProfile>', expect: soapRow },
];

describe('authorization matrix', () => {
  let server; const H = {};   // caller -> surface -> headers
  before(async () => {
    const tenant = buildAdminTenant();
    tenant.users = tenant.users.map((u) => (u.userId === BOB ? { ...u, password: BOB_PASSWORD } : u));
    tenant.users.push(MAX);
    tenant.memberships.push({ accountId: ACC_A, userId: MAX.userId, isAdmin: false });
    const file = path.join(tempDir(), 'tenant.json');
    writeFileSync(file, JSON.stringify(tenant));
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, file);
    importIntegration(db.url);
    const both = { scope: 'signature user_read' };
    const bearer = (id, opts = both) => ({ Authorization: `Bearer ${mintToken(db.url, id, opts)}` });
    const same = (h) => ({ esign: h, admin: h, soap: h });
    Object.assign(H, {
      self: same(bearer(BOB)),
      accountAdmin: same(bearer(U.ann.userId)),
      otherMember: same(bearer(MAX.userId)),
      nonMember: same(bearer(U.cara.userId)),
      orgAdmin: same(bearer(U.oona.userId)),
      noToken: same({}),
      expired: same(bearer(BOB, { ...both, ttl: 60, issuedAt: Math.floor(Date.now() / 1000) - 3600 })),
      wrongScope: { esign: bearer(BOB, { scope: 'impersonation' }), admin: bearer(U.oona.userId, { scope: 'signature' }),
        soap: bearer(BOB, { scope: 'impersonation' }) },
      disabled: same(bearer(U.off.userId)),
      legacy: same({ 'X-DocuSign-Authentication': jsonCreds({ user: 'bob@acme.test', password: BOB_PASSWORD }) }),
    });
    server = await startServer({ db: db.url, extraArgs: NO_BURST_LIMITS });
  });
  after(async () => { if (server) assert.equal((await server.stop('SIGTERM')).code, 0); });

  it('the table has a cell for every route and caller', () => {
    for (const r of ROUTES) assert.deepEqual(Object.keys(r.expect).sort(), [...CALLERS].sort(), r.name);
  });

  const giveBobAnImage = async () => {
    const r = await http('PUT', `${server.base}/restapi/v2.1/accounts/${ACC_A}/users/${BOB}/profile/image`,
      { headers: { ...H.self.esign, 'Content-Type': 'image/png' }, body: makePng() });
    assert.equal(r.status, 200, r.text());
  };

  for (const route of ROUTES) {
    describe(`${route.surface} ${route.name}`, () => {
      for (const caller of CALLERS) {
        const want = route.expect[caller];
        it(`${caller} → ${Array.isArray(want) ? want.filter(Boolean).join(' ') : want}`, async () => {
          if (route.needsImage) await giveBobAnImage();
          const headers = { ...H[caller][route.surface] };
          if (route.surface === 'soap') {
            const r = await post(server.base, 11, route.op, envelope(11, route.body), { headers });
            assert.equal(r.status, 200, r.text());
            const res = resultOf(r, 11, route.op);
            const got = textAt(res, 'Success') === 'true' ? 'ok' : textAt(res, 'Error/ErrorCode');
            assert.equal(got, want, r.text().slice(0, 400));
            return;
          }
          let body;
          if (route.json) { body = JSON.stringify(route.json); headers['Content-Type'] = 'application/json'; }
          if (route.png) { body = makePng(); headers['Content-Type'] = 'image/png'; }
          const r = await http(route.method, `${server.base}${route.path}`, { headers, body });
          assert.equal(r.status, want[0], `${r.status} ${r.text().slice(0, 300)}`);
          if (want[1] !== null) {
            const j = r.json();
            assert.equal(route.surface === 'admin' ? j.error : j.errorCode, want[1], r.text());
          }
        });
      }
    });
  }
});
