// user-status.test.mjs - a user who is disabled or closed loses access at
// once, whatever the lifetime of the token already issued (security review
// M3); re-activating restores it.  Other users are not affected, and an
// admin can still read the disabled member's profile.  The status change is
// made by another process (profiled import), so the first refusal is checked
// under the backend's staleness bound (afterOtherWriter: at once on SQLite,
// within the notification bound on PostgreSQL); once refused, every surface
// must refuse.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  useTenant, importFile, http, profileUrl, imageUrl, IDS, ACC_A, TENANT, tempDir,
  afterOtherWriter,
} from './lib/server.mjs';

function setStatus(dbUrl, userId, status) {
  const u = TENANT.users.find((x) => x.userId === userId);
  const file = path.join(tempDir(), `status-${status}.json`);
  const { password, ...rest } = u;        // keep the stored hash
  void password;
  writeFileSync(file, JSON.stringify({ users: [{ ...rest, userStatus: status }] }));
  importFile(dbUrl, file);
}

describe('user status', () => {
  const env = useTenant();

  for (const status of ['Disabled', 'Closed']) {
    it(`a ${status} user's existing token is refused everywhere; re-activation restores it`, async () => {
      const url = profileUrl(env.base, ACC_A, IDS.bob);
      assert.equal((await http('GET', url, { token: env.tokens.bob })).status, 200); // warms the cache
      setStatus(env.db.url, IDS.bob, status);
      await afterOtherWriter(async () => {
        const r = await http('GET', url, { token: env.tokens.bob });
        assert.equal(r.status, 401, 'the first read after the status change');
      });
      for (const [method, u, opts] of [
        ['GET', url, {}],
        ['PUT', url, { json: { title: 'x' } }],
        ['GET', imageUrl(env.base, ACC_A, IDS.bob), {}],
      ]) {
        const r = await http(method, u, { token: env.tokens.bob, ...opts });
        assert.equal(r.status, 401, `${method} ${u}`);
        assert.equal(r.json().errorCode, 'AUTHORIZATION_INVALID_TOKEN');
      }
      // others are unaffected; the admin still sees bob's profile with his status
      const admin = await http('GET', url, { token: env.tokens.ann });
      assert.equal(admin.status, 200);
      assert.equal(admin.json().userDetails.userStatus, status);
      setStatus(env.db.url, IDS.bob, 'Active');
      await afterOtherWriter(async () =>
        assert.equal((await http('GET', url, { token: env.tokens.bob })).status, 200));
    });
  }
});
