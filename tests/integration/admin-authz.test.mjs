// admin-authz.test.mjs - who may call the Admin API, in the Admin error
// shape, and how its routes live beside the eSignature ones under the
// shared /v2 and /v2.1 prefixes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { http, mintToken } from './lib/server.mjs';
import {
  useAdminTenant, assertAdminError, orgUrl, U, ORG1, ORG2, ACC_A,
} from './lib/admin-tenant.mjs';

const ROUTES = [
  ['users list', (b, org) => `${orgUrl(b, org)}/users?take=5`],
  ['users/profile', (b, org) => `${orgUrl(b, org)}/users/profile?email=bob%40acme.test`],
  ['users/dsprofile', (b, org) => `${orgUrl(b, org, '/v2.1')}/users/dsprofile?email=bob%40acme.test`],
  ['users/{id}/dsprofile', (b, org) => `${orgUrl(b, org, '/v2.1')}/users/${U.bob.userId}/dsprofile`],
];

describe('Admin API authorization', () => {
  const env = useAdminTenant();
  const get = (url, token, headers = {}) => http('GET', url, { token, headers });

  it('the organization administrator with user_read reads every route', async () => {
    for (const [name, url] of ROUTES) {
      const r = await get(url(env.base, ORG1), env.tokens.oona);
      assert.equal(r.status, 200, `${name}: ${r.text().slice(0, 300)}`);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.ok(r.json().users.length >= 1, name);
    }
    const all = await get(ROUTES[0][1](env.base, ORG1), env.tokens.oonaAll);
    assert.equal(all.status, 200, 'token with user_read user_write organization_read signature');
  });

  it('an account admin who is not an organization admin, a plain user, and the admin of another organization: 403', async () => {
    for (const who of ['ann', 'bob', 'xena']) {
      for (const [name, url] of ROUTES) {
        const j = assertAdminError(await get(url(env.base, ORG1), env.tokens[who]), 403, 'forbidden', `${who} ${name}`);
        assert.match(j.error_description, /not an administrator of this organization/);
        assert.ok(!j.error_description.includes('bob'), 'nothing about the user leaks');
      }
    }
  });

  it('a token without user_read: 403 naming the scope', async () => {
    for (const [name, url] of ROUTES) {
      const j = assertAdminError(await get(url(env.base, ORG1), env.tokens.oonaNoScope), 403, 'forbidden', name);
      assert.match(j.error_description, /user_read/);
    }
  });

  it('no token, a malformed, forged or expired token: 401 with WWW-Authenticate', async () => {
    const forged = `${env.tokens.oona.slice(0, -4)}AAAA`;
    for (const [name, url] of ROUTES) {
      for (const [what, token, headers] of [
        ['none', undefined, {}], ['expired', env.tokens.oonaExpired, {}], ['forged', forged, {}],
        ['garbage', 'not.a.token', {}], ['basic', undefined, { Authorization: 'Basic b29uYTpwdw==' }],
      ]) {
        const r = await get(url(env.base, ORG1), token, headers);
        assertAdminError(r, 401, 'invalid_token', `${name} ${what}`);
        assert.match(r.headers.get('www-authenticate') || '', /^Bearer/, `${name} ${what}`);
      }
    }
  });

  it('an organization administrator who is no longer active: 401', async () => {
    const j = assertAdminError(await get(ROUTES[0][1](env.base, ORG1), env.tokens.shut), 401, 'invalid_token');
    assert.match(j.error_description, /not active/);
  });

  it('an unknown organization answers exactly like a foreign one', async () => {
    const unknown = await get(ROUTES[0][1](env.base, '0c0c0c0c-0000-4000-8000-0000000000c3'), env.tokens.oona);
    const foreign = await get(ROUTES[0][1](env.base, ORG2), env.tokens.oona);
    assertAdminError(unknown, 403, 'forbidden');
    assert.equal(unknown.text(), foreign.text());
  });

  it('the organization id is matched without regard to case', async () => {
    const r = await get(ROUTES[0][1](env.base, ORG1.toUpperCase()), env.tokens.oona);
    assert.equal(r.status, 200);
  });

  it('bad user ids answer 400; a user of another organization 404 like a missing one', async () => {
    for (const id of ['123', 'zzzzzzzz-0000-4000-8000-000000000000', `${U.bob.userId}0`]) {
      const r = await get(`${orgUrl(env.base, ORG1, '/v2.1')}/users/${id}/dsprofile`, env.tokens.oona);
      assertAdminError(r, 400, 'invalid_request', id);
    }
    const foreign = await get(`${orgUrl(env.base, ORG1, '/v2.1')}/users/${U.cara.userId}/dsprofile`, env.tokens.oona);
    const loose = await get(`${orgUrl(env.base, ORG1, '/v2.1')}/users/${U.lone.userId}/dsprofile`, env.tokens.oona);
    const missing = await get(`${orgUrl(env.base, ORG1, '/v2.1')}/users/00000000-0000-4000-8000-00000000ffff/dsprofile`, env.tokens.oona);
    assertAdminError(foreign, 404, 'not_found');
    assert.equal(foreign.text(), missing.text());
    assert.equal(loose.text(), missing.text());
  });

  it('profile by email: email required, bad values 400, no match {"users":[]}', async () => {
    const base = `${orgUrl(env.base, ORG1)}/users/profile`;
    assertAdminError(await get(base, env.tokens.oona), 400, 'invalid_request');
    assertAdminError(await get(`${base}?email=`, env.tokens.oona), 400, 'invalid_request');
    assertAdminError(await get(`${base}?email=a%40b.c&include_license=maybe`, env.tokens.oona), 400, 'invalid_request');
    // %00 would cut the value short unseen: refused, not read as bob@acme.test
    const nul = assertAdminError(await get(`${base}?email=bob%40acme.test%00junk`, env.tokens.oona), 400, 'invalid_request');
    assert.match(nul.error_description, /NUL/);
    const none = await get(`${base}?email=${encodeURIComponent("' OR ''='")}`, env.tokens.oona);
    assert.equal(none.status, 200);
    assert.equal(none.text(), '{"users":[]}');
    const withLicense = await get(`${base}?email=bob%40acme.test&include_license=true`, env.tokens.oona);
    assert.equal(withLicense.json().users[0].id, U.bob.userId);
  });

  it('responses carry no null anywhere', async () => {
    for (const [name, url] of ROUTES) {
      const text = (await get(url(env.base, ORG1), env.tokens.oona)).text();
      assert.ok(!text.includes('null'), `${name}: ${text.slice(0, 300)}`);
    }
  });

  it('eSignature routes keep working under the shared /v2 and /v2.1 prefixes', async () => {
    const tok = mintToken(env.db.url, U.dan.userId);
    for (const p of ['/v2', '/v2.1', '/restapi/v2.1']) {
      const r = await http('GET', `${env.base}${p}/accounts/${ACC_A}/users/${U.dan.userId}/profile`, { token: tok });
      assert.equal(r.status, 200, `${p}: ${r.text().slice(0, 200)}`);
      assert.equal(r.json().userDetails.userId, U.dan.userId);
    }
    // a path eSignature knows, another method: its 405, not the Admin API's
    const m = await http('POST', `${env.base}/v2/accounts/${ACC_A}/users/${U.dan.userId}/profile`, { token: tok });
    assert.equal(m.status, 405);
    assert.match(m.headers.get('allow'), /GET/);
    assert.match(m.headers.get('allow'), /PUT/);
    assert.equal(m.json().errorCode, 'METHOD_NOT_ALLOWED');
    // eSignature paths do not exist under /Management
    const n = await http('GET', `${env.base}/Management/v2/accounts/${ACC_A}/users/${U.dan.userId}/profile`, { token: tok });
    assert.equal(n.status, 404);
  });

  it('Admin routes answer 405 to other methods, with Allow: GET', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await http(method, `${orgUrl(env.base, ORG1)}/users/profile?email=bob%40acme.test`, { token: env.tokens.oona });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('allow'), 'GET');
    }
    const head = await http('HEAD', `${orgUrl(env.base, ORG1, '/Management/v2')}/users`, { token: env.tokens.oona });
    assert.equal(head.status, 200);
  });

  it('an eSignature token of an organization admin without user_read cannot list users', async () => {
    const tok = mintToken(env.db.url, U.oona.userId);       // signature impersonation
    assertAdminError(await get(ROUTES[0][1](env.base, ORG1), tok), 403, 'forbidden');
  });
});
