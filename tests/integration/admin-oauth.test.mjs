// admin-oauth.test.mjs - the OAuth grants issue the Admin API scopes
// (user_read, user_write, organization_read) when the integration may ask
// for them and the user consented, and the token they issue reads the
// Admin API; an integration that may not ask for them gets invalid_scope.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import { freshDb, cliOk, importFile, startServer, tempDir, http, sleep } from './lib/server.mjs';
import { rsaPair, signJwt, claims, tokenRequest, assertOAuthError } from './fixtures/oauth/helpers.mjs';
import { writeAdminTenant, U, ORG1, orgUrl } from './lib/admin-tenant.mjs';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ADMIN_APP = 'admin-app-0001';
const SIGN_APP = 'sign-app-0001';

describe('OAuth issues the Admin API scopes', () => {
  const env = {};
  before(async () => {
    const db = freshDb();
    cliOk(['migrate', '--db', db.url]);
    importFile(db.url, writeAdminTenant());
    const keys = { admin: rsaPair(), sign: rsaPair() };
    const dir = tempDir();
    const file = path.join(dir, 'integrations.json');
    writeFileSync(file, JSON.stringify({
      format: 'profiled-import', version: 1,
      integrations: [
        { integrationKey: ADMIN_APP, name: 'Admin App', allowedScopes: 'signature impersonation user_read user_write organization_read',
          redirectUris: ['http://127.0.0.1:9/cb'], rsaPublicKeys: [keys.admin.publicKey],
          consents: [{ userId: U.oona.userId }] },
        { integrationKey: SIGN_APP, name: 'Sign App', allowedScopes: 'signature impersonation',
          redirectUris: ['http://127.0.0.1:9/cb'], rsaPublicKeys: [keys.sign.publicKey],
          consents: [{ userId: U.oona.userId }] },
      ],
    }));
    importFile(db.url, file);
    const dataDir = path.join(dir, 'data');
    const server = await startServer({ db: db.url, extraArgs: ['--https-port', '0', '--data-dir', dataDir] });
    let m = null;
    for (let i = 0; i < 100 && !m; i++) {
      m = /listening on (https:\/\/127\.0\.0\.1:(\d+))/.exec(server.stdout());
      if (!m) await sleep(20);
    }
    assert.ok(m, server.stdout());
    Object.assign(env, {
      db, server, keys, http: server.base, https: m[1], host: `127.0.0.1:${m[2]}`,
      ca: readFileSync(path.join(dataDir, 'cert.pem')),
    });
  });
  after(async () => {
    if (env.server) {
      const r = await env.server.stop('SIGTERM');
      assert.equal(r.code, 0);
    }
  });

  it('the JWT grant issues user_read and the token reads the organization', async () => {
    const a = signJwt(claims(env.host, { iss: ADMIN_APP, sub: U.oona.userId, scope: 'impersonation user_read organization_read' }),
      { key: env.keys.admin.privateKey });
    const r = await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a });
    assert.equal(r.status, 200, r.text);
    const j = r.json();
    assert.equal(j.scope, 'impersonation user_read organization_read');
    const list = await http('GET', `${orgUrl(env.http, ORG1)}/users?take=2`, { token: j.access_token });
    assert.equal(list.status, 200, list.text());
    assert.equal(list.json().users.length, 2);
  });

  it('an integration that may not ask for user_read gets invalid_scope', async () => {
    const a = signJwt(claims(env.host, { iss: SIGN_APP, sub: U.oona.userId, scope: 'impersonation user_read' }),
      { key: env.keys.sign.privateKey });
    assertOAuthError(await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a }), 400, 'invalid_scope');
  });

  it('a token of the same admin without user_read is refused by the Admin API', async () => {
    const a = signJwt(claims(env.host, { iss: ADMIN_APP, sub: U.oona.userId, scope: 'signature impersonation' }),
      { key: env.keys.admin.privateKey });
    const r = await tokenRequest(env, { grant_type: JWT_GRANT, assertion: a });
    assert.equal(r.status, 200, r.text);
    const list = await http('GET', `${orgUrl(env.http, ORG1)}/users`, { token: r.json().access_token });
    assert.equal(list.status, 403);
    assert.equal(list.json().error, 'forbidden');
  });
});
