// sdk-profile.test.mjs - the official docusign-esign Node SDK, unmodified,
// reading and updating profiles on a running profiled (by account GUID and
// by account number).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  useTenant, USERS, IDS, ACC_A, ACC_A_NUMBER, ACC_B, getProfile,
} from './lib/server.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');

function usersApi(base, token) {
  const client = new docusign.ApiClient();
  client.setBasePath(`${base}/restapi`);
  client.addDefaultHeader('Authorization', `Bearer ${token}`);
  return new docusign.UsersApi(client);
}

/** Plain-object copy of an SDK model (drops undefined members and prototypes). */
const plain = (m) => JSON.parse(JSON.stringify(m));

describe('docusign-esign SDK: profile', () => {
  const env = useTenant();

  it('getProfile by account GUID returns the imported profile', async () => {
    const api = usersApi(env.base, env.tokens.ann);
    const p = await api.getProfile(ACC_A, IDS.ann);
    assert.ok(p instanceof docusign.UserProfile, 'SDK builds a UserProfile');
    const src = USERS.ann.profile;
    const d = p.userDetails;
    assert.equal(d.firstName, 'Ann');
    assert.equal(d.middleName, 'Marie');
    assert.equal(d.lastName, 'Archer');
    assert.equal(d.suffixName, 'Jr');
    assert.equal(d.title, 'Ms');
    assert.equal(d.userName, 'Ann Marie Archer Jr');
    assert.equal(d.jobTitle, src.userDetails.jobTitle);
    assert.equal(d.countryCode, 'US');
    assert.equal(d.userId, IDS.ann);
    assert.equal(d.email, 'ann@acme.test');
    assert.equal(d.isAdmin, 'true');
    assert.equal(d.permissionProfileId, '1');
    assert.equal(d.permissionProfileName, 'DS Admin');
    assert.deepEqual(plain(d.groupList).map((g) => [g.groupId, g.groupName]).sort(),
      [['10', 'Administrators'], ['11', 'Everyone']]);
    assert.deepEqual(plain(d.homeAddress), src.userDetails.homeAddress);
    assert.deepEqual(plain(d.workAddress), src.userDetails.workAddress);
    assert.deepEqual(plain(d.customSettings), src.userDetails.customSettings);
    // v2.1: userSettings is an object
    assert.equal(d.userSettings.locale, 'en');
    assert.equal(d.userSettings.canSendEnvelope, 'true');
    // top level
    assert.deepEqual(plain(p.address), src.address);
    assert.equal(p.companyName, 'Acme Corp');
    assert.equal(p.title, 'Head of Sales');
    // flags are strings, both values kept
    assert.equal(p.displayProfile, 'true');
    assert.equal(p.displayOrganizationInfo, 'true');
    assert.equal(p.displayPersonalInfo, 'false');
    assert.equal(p.displayUsageHistory, 'true');
    // counts (strings on v2.1)
    assert.equal(p.usageHistory.sentCount, '12');
    assert.equal(p.usageHistory.signedCount, '34');
    assert.equal(p.usageHistory.lastSentDateTime, src.usageHistory.lastSentDateTime);
    assert.equal(p.authenticationMethods.length, 2);
    const byType = Object.fromEntries(p.authenticationMethods.map((m) => [m.authenticationType, m]));
    assert.equal(byType.PhoneAuth.totalCount, '3');
    assert.equal(byType.PhoneAuth.lastProvider, 'Twilio');
    assert.equal(byType.SSOAuth.totalCount, '7');
    // secrets never come back
    assert.equal(d.password, undefined);
    assert.equal(d.forgottenPasswordInfo, undefined);
    assert.ok(!JSON.stringify(plain(p)).includes('ann-Secret-Pass-1'));
    // ann's image came with the import
    assert.ok(p.profileImageUri.endsWith(`/accounts/${ACC_A}/users/${IDS.ann}/profile/image`), p.profileImageUri);
    assert.match(p.userProfileLastModifiedDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  it('getProfile by account number equals getProfile by GUID', async () => {
    const api = usersApi(env.base, env.tokens.ann);
    const byGuid = plain(await api.getProfile(ACC_A, IDS.ann));
    const byNumber = plain(await api.getProfile(String(ACC_A_NUMBER), IDS.ann));
    assert.deepEqual(byNumber, byGuid);
  });

  it('a member of two accounts reads the same profile through either', async () => {
    const api = usersApi(env.base, env.tokens.dan);
    const a = plain(await api.getProfile(ACC_A, IDS.dan));
    const b = plain(await api.getProfile(ACC_B, IDS.dan));
    assert.equal(a.userDetails.firstName, 'Dan');
    assert.equal(b.userDetails.firstName, 'Dan');
    assert.equal(a.companyName, b.companyName);
    assert.deepEqual(a.address, b.address);
    assert.deepEqual(a.usageHistory, b.usageHistory);
    assert.equal(a.profileImageUri, undefined);
  });

  it('updateProfile (by GUID) changes what was sent and keeps the rest', async () => {
    const api = usersApi(env.base, env.tokens.ann);
    const before = plain(await api.getProfile(ACC_A, IDS.ann));
    const res = await api.updateProfile(ACC_A, IDS.ann, {
      userProfile: {
        companyName: 'SDK Updated Co',
        title: 'Chief Revenue Officer',
        displayPersonalInfo: 'true',
        address: { city: 'North Haverbrook' },
        userDetails: { jobTitle: 'CRO' },
      },
    });
    assert.ok(res === undefined || res === null || res === '', `PUT returns no data, got ${JSON.stringify(res)}`);
    const after = plain(await api.getProfile(ACC_A, IDS.ann));
    assert.equal(after.companyName, 'SDK Updated Co');
    assert.equal(after.title, 'Chief Revenue Officer');
    assert.equal(after.displayPersonalInfo, 'true');
    assert.equal(after.address.city, 'North Haverbrook');
    assert.equal(after.userDetails.jobTitle, 'CRO');
    // untouched members intact
    assert.equal(after.address.address1, before.address.address1);
    assert.equal(after.address.postalCode, before.address.postalCode);
    assert.equal(after.address.phone, before.address.phone);
    assert.equal(after.userDetails.firstName, 'Ann');
    assert.equal(after.userDetails.lastName, 'Archer');
    assert.equal(after.userDetails.userName, before.userDetails.userName);
    assert.deepEqual(after.usageHistory, before.usageHistory);
    assert.deepEqual(after.authenticationMethods, before.authenticationMethods);
    assert.deepEqual(after.userDetails.customSettings, before.userDetails.customSettings);
    assert.deepEqual(after.userDetails.homeAddress, before.userDetails.homeAddress);
    assert.equal(after.displayProfile, before.displayProfile);
    assert.equal(after.displayUsageHistory, before.displayUsageHistory);
    // modification date moved forward
    assert.notEqual(after.userProfileLastModifiedDate, before.userProfileLastModifiedDate);
    assert.ok(after.userProfileLastModifiedDate > before.userProfileLastModifiedDate,
      `${after.userProfileLastModifiedDate} > ${before.userProfileLastModifiedDate}`);
  });

  it('updateProfile by account number, with an SDK model object', async () => {
    const api = usersApi(env.base, env.tokens.bob);
    const before = plain(await api.getProfile(ACC_A, IDS.bob));
    const model = docusign.UserProfile.constructFromObject({
      companyName: 'Bob Industries',
      userDetails: docusign.UserInformation.constructFromObject({ firstName: 'Bobby', middleName: 'J' }),
    });
    await api.updateProfile(String(ACC_A_NUMBER), IDS.bob, { userProfile: model });
    const after = plain(await api.getProfile(ACC_A, IDS.bob));
    assert.equal(after.companyName, 'Bob Industries');
    assert.equal(after.userDetails.firstName, 'Bobby');
    assert.equal(after.userDetails.middleName, 'J');
    assert.equal(after.userDetails.lastName, 'Baker');
    assert.equal(after.userDetails.userName, 'Bobby J Baker');
    assert.deepEqual(after.address, before.address);
    assert.ok(after.userProfileLastModifiedDate > before.userProfileLastModifiedDate);
  });

  it('updateProfile with a v2.1 userSettings object', async () => {
    const api = usersApi(env.base, env.tokens.dan);
    await api.updateProfile(ACC_B, IDS.dan, { userProfile: { userDetails: { userSettings: { locale: 'es' } } } });
    const after = await api.getProfile(ACC_A, IDS.dan);
    assert.equal(after.userDetails.userSettings.locale, 'es');
  });

  it('an account admin updates another member through the SDK', async () => {
    const api = usersApi(env.base, env.tokens.ann);
    await api.updateProfile(ACC_A, IDS.dan, { userProfile: { title: 'Chief Controller' } });
    const mine = await usersApi(env.base, env.tokens.dan).getProfile(ACC_A, IDS.dan);
    assert.equal(mine.title, 'Chief Controller');
    assert.equal(mine.userDetails.isAdmin, 'false');
  });

  it('SDK errors carry the HTTP status and the DocuSign errorCode', async () => {
    const api = usersApi(env.base, env.tokens.bob);
    await assert.rejects(api.getProfile(ACC_A, IDS.ann), (err) => {
      assert.equal(err.response?.status, 403);
      assert.equal(err.response.data.errorCode, 'USER_LACKS_PERMISSIONS');
      return true;
    });
    await assert.rejects(api.updateProfile(ACC_A, IDS.bob, { userProfile: { title: 'x'.repeat(101) } }), (err) => {
      assert.equal(err.response?.status, 400);
      assert.equal(err.response.data.errorCode, 'INVALID_REQUEST_BODY');
      return true;
    });
    const stillBob = await getProfile(env.base, env.tokens.bob, ACC_A, IDS.bob);
    assert.notEqual(stillBob.title, 'x'.repeat(101));
  });

  it('SDK updateProfileImage (which cannot attach a body) gets a clean 400', async () => {
    const api = usersApi(env.base, env.tokens.ann);
    await assert.rejects(api.updateProfileImage(ACC_A, IDS.ann), (err) => {
      assert.equal(err.response?.status, 400, `status ${err.response?.status} ${JSON.stringify(err.response?.data)}`);
      assert.equal(err.response.data.errorCode, 'INVALID_PROFILE_IMAGE');
      return true;
    });
    const dan = usersApi(env.base, env.tokens.dan);
    await assert.rejects(dan.getProfileImage(ACC_A, IDS.dan), (err) => {
      assert.equal(err.response?.status, 404);
      assert.equal(err.response.data.errorCode, 'PROFILE_IMAGE_NOT_FOUND');
      return true;
    });
  });
});
