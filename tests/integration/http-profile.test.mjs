// http-profile.test.mjs - the profile routes over plain HTTP: the four
// prefixes, v2 vs v2.1 shapes, XML in and out, name precedence, read-only
// members, validation limits and malformed bodies.  After every rejected
// request the profile is read again and must be exactly what it was.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  useTenant, http, rawHttp, assertError, getProfile, profileUrl, PREFIXES,
  USERS, IDS, ACC_A, ACC_A_NUMBER, nullPaths, allKeys,
} from './lib/server.mjs';
import { parseXml, child, childrenNamed, textAt, local, esc } from './lib/xml.mjs';

const DS_NS = 'http://www.docusign.com/restapi';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

describe('profile over plain HTTP', () => {
  const env = useTenant();
  let base;
  let ann;
  let bob;
  const annUrl = (prefix) => profileUrl(base, ACC_A, IDS.ann, prefix);
  const get = (who = 'ann', uid = IDS.ann, prefix) => getProfile(base, env.tokens[who], ACC_A, uid, prefix);
  const put = (body, { who = 'ann', uid = IDS.ann, contentType = 'application/json', prefix, headers = {} } = {}) =>
    http('PUT', profileUrl(base, ACC_A, uid, prefix), {
      token: env.tokens[who],
      headers: { 'Content-Type': contentType, ...headers },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  /** Sends a request that must be refused and checks nothing changed. */
  async function refused(body, status, code, opts = {}) {
    const who = opts.who || 'ann';
    const uid = opts.uid || IDS.ann;
    const beforeDoc = await get(who, uid);
    const r = await put(body, opts);
    const err = assertError(r, status, code, opts.what || '');
    const afterDoc = await get(who, uid);
    assert.deepEqual(afterDoc, beforeDoc, 'profile changed after a refused PUT');
    return err;
  }

  async function okPut(body, opts = {}) {
    const r = await put(body, opts);
    assert.equal(r.status, 200, `PUT ${JSON.stringify(body).slice(0, 200)}: ${r.status} ${r.text().slice(0, 500)}`);
    assert.equal(r.body.length, 0, `PUT answers with an empty body, got ${JSON.stringify(r.text().slice(0, 200))}`);
    return r;
  }

  before(async () => {
    base = env.base;
    ann = env.tokens.ann;
    bob = env.tokens.bob;
  });

  it('GET works on all four prefixes and by account number', async () => {
    const docs = {};
    for (const p of PREFIXES) {
      for (const acc of [ACC_A, String(ACC_A_NUMBER)]) {
        const r = await http('GET', profileUrl(base, acc, IDS.ann, p), { token: ann });
        assert.equal(r.status, 200, `${p} ${acc}: ${r.status} ${r.text().slice(0, 300)}`);
        assert.match(r.headers.get('content-type'), /^application\/json/);
        const j = r.json();
        assert.equal(j.userDetails.firstName, 'Ann');
        assert.equal(j.companyName, 'Acme Corp');
        assert.ok(j.userDetails.uri.endsWith(`/accounts/${ACC_A}/users/${IDS.ann}`),
          `uri uses the account GUID: ${j.userDetails.uri}`);
        assert.ok(j.userDetails.uri.includes(p.endsWith('2.1') ? '/v2.1/' : '/v2/'), `uri version: ${j.userDetails.uri}`);
        docs[`${p} ${acc}`] = j;
      }
      assert.deepEqual(docs[`${p} ${String(ACC_A_NUMBER)}`], docs[`${p} ${ACC_A}`]);
    }
    const strip = (j) => {
      const c = structuredClone(j);
      delete c.userDetails.uri;
      delete c.profileImageUri;
      delete c.userDetails.profileImageUri;
      return c;
    };
    assert.deepEqual(strip(docs[`/v2.1 ${ACC_A}`]), strip(docs[`/restapi/v2.1 ${ACC_A}`]));
    assert.deepEqual(strip(docs[`/v2 ${ACC_A}`]), strip(docs[`/restapi/v2 ${ACC_A}`]));
  });

  it('v2 sends integer counts and a name/value userSettings array; v2.1 strings and an object', async () => {
    const v2 = await get('ann', IDS.ann, '/restapi/v2');
    const v21 = await get('ann', IDS.ann, '/restapi/v2.1');
    const src = USERS.ann.profile;
    assert.equal(v2.usageHistory.sentCount, 12);
    assert.equal(v2.usageHistory.signedCount, 34);
    assert.equal(v21.usageHistory.sentCount, '12');
    assert.equal(v21.usageHistory.signedCount, '34');
    for (const m of v2.authenticationMethods) assert.equal(typeof m.totalCount, 'number');
    for (const m of v21.authenticationMethods) assert.equal(typeof m.totalCount, 'string');
    assert.deepEqual(v2.authenticationMethods.map((m) => m.totalCount).sort(), [3, 7]);
    assert.deepEqual(v21.authenticationMethods.map((m) => m.totalCount).sort(), ['3', '7']);
    // the stored settings plus canManageAccount, which follows from the
    // membership (ann is an admin); v2.1 also carries accountManagementGranular
    assert.ok(Array.isArray(v2.userDetails.userSettings), 'v2 userSettings is an array');
    assert.deepEqual(
      [...v2.userDetails.userSettings].sort((a, b) => a.name.localeCompare(b.name)),
      [...src.userDetails.userSettings, { name: 'canManageAccount', value: 'true' }]
        .sort((a, b) => a.name.localeCompare(b.name)));
    assert.ok(!Array.isArray(v21.userDetails.userSettings) && typeof v21.userDetails.userSettings === 'object');
    const { accountManagementGranular, ...v21Settings } = v21.userDetails.userSettings;
    assert.deepEqual(v21Settings,
      { ...Object.fromEntries(src.userDetails.userSettings.map((s) => [s.name, s.value])), canManageAccount: 'true' });
    assert.equal(accountManagementGranular.canManageUsers, 'true');
    // everything else identical
    for (const k of ['address', 'companyName', 'title', 'displayProfile', 'displayPersonalInfo']) {
      assert.deepEqual(v2[k], v21[k], k);
    }
  });

  it('the JSON never carries null, passwords or forgotten-password answers', async () => {
    for (const p of PREFIXES) {
      const j = await get('ann', IDS.ann, p);
      assert.deepEqual(nullPaths(j), [], `${p}: nulls`);
      const keys = allKeys(j);
      assert.ok(!keys.has('password'), `${p}: password key`);
      assert.ok(!keys.has('forgottenpasswordinfo'), `${p}: forgottenPasswordInfo`);
      assert.ok(!keys.has('passwordhash'), `${p}: passwordHash`);
      for (const f of ['displayProfile', 'displayOrganizationInfo', 'displayPersonalInfo', 'displayUsageHistory']) {
        assert.ok(j[f] === 'true' || j[f] === 'false', `${p}: ${f} is a string flag: ${JSON.stringify(j[f])}`);
      }
    }
  });

  it('XML with Accept: application/xml (and text/xml)', async () => {
    for (const accept of ['application/xml', 'text/xml']) {
      const r = await http('GET', annUrl('/restapi/v2.1'), { token: ann, headers: { Accept: accept } });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^(application|text)\/xml/);
      const root = parseXml(r.text());
      assert.equal(root.name, 'userProfile');
      assert.equal(root.attrs.xmlns, DS_NS);
      assert.equal(root.attrs['xmlns:i'], XSI_NS);
      const names = root.children.map((c) => local(c.name));
      assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'children in alphabetical order');
      assert.equal(textAt(root, 'companyName'), 'Acme Corp');
      assert.equal(textAt(root, 'displayPersonalInfo'), 'false');
      assert.equal(textAt(root, 'address/address1'), USERS.ann.profile.address.address1);
      assert.equal(textAt(root, 'userDetails/firstName'), 'Ann');
      assert.equal(textAt(root, 'userDetails/lastName'), 'Archer');
      assert.equal(textAt(root, 'usageHistory/sentCount'), '12');
      const methods = childrenNamed(child(root, 'authenticationMethods'), 'authenticationMethod');
      assert.equal(methods.length, 2);
      assert.deepEqual(methods.map((m) => textAt(m, 'authenticationType')).sort(), ['PhoneAuth', 'SSOAuth']);
      assert.ok(!/<password>|forgottenPassword/.test(r.text()));
    }
  });

  it('XML errors come as <errorDetails>', async () => {
    const r = await http('GET', profileUrl(base, ACC_A, IDS.ann), { token: bob, headers: { Accept: 'application/xml' } });
    assert.equal(r.status, 403);
    assert.match(r.headers.get('content-type'), /xml/);
    const root = parseXml(r.text());
    assert.equal(root.name, 'errorDetails');
    assert.equal(textAt(root, 'errorCode'), 'USER_LACKS_PERMISSIONS');
    assert.ok(textAt(root, 'message').length > 0);
  });

  it('JSON is the default without an Accept header and with Accept */*', async () => {
    for (const accept of [undefined, '*/*', 'application/json']) {
      const r = await http('GET', annUrl(), { token: ann, headers: accept ? { Accept: accept } : {} });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      r.json();
    }
  });

  it('PUT with an XML body', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<userProfile xmlns="${DS_NS}" xmlns:i="${XSI_NS}">
  <companyName>${esc('XML & Sons <Ltd>')}</companyName>
  <displayUsageHistory>false</displayUsageHistory>
  <userDetails><jobTitle>Integrator</jobTitle></userDetails>
</userProfile>`;
    await okPut(xml, { contentType: 'application/xml; charset=utf-8' });
    const j = await get();
    assert.equal(j.companyName, 'XML & Sons <Ltd>');
    assert.equal(j.displayUsageHistory, 'false');
    assert.equal(j.userDetails.jobTitle, 'Integrator');
    assert.equal(j.userDetails.firstName, 'Ann');
  });

  it('PUT with malformed XML is refused and changes nothing', async () => {
    await refused('<userProfile><companyName>unterminated', 400, 'INVALID_REQUEST_BODY', { contentType: 'application/xml' });
    await refused('<userProfile><companyName>a</wrong></userProfile>', 400, 'INVALID_REQUEST_BODY', { contentType: 'text/xml' });
  });

  it('XML external entities are never expanded', async () => {
    const before = await get();
    const xml = '<?xml version="1.0"?><!DOCTYPE userProfile [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
      + `<userProfile xmlns="${DS_NS}"><companyName>&e;</companyName></userProfile>`;
    const r = await put(xml, { contentType: 'application/xml' });
    assert.ok(r.status === 400 || r.status === 200, `status ${r.status}`);
    const after = await get();
    assert.ok(!JSON.stringify(after).includes('root:'), '/etc/passwd leaked into the profile');
    if (r.status === 400) assert.deepEqual(after, before);
  });

  it('split names win over userName, and userName is rebuilt', async () => {
    await okPut({ userDetails: { userName: 'Zed Ignored Name', firstName: 'Annabel' } });
    const j = await get();
    assert.equal(j.userDetails.firstName, 'Annabel');
    assert.equal(j.userDetails.middleName, 'Marie');
    assert.equal(j.userDetails.lastName, 'Archer');
    assert.equal(j.userDetails.suffixName, 'Jr');
    assert.equal(j.userDetails.userName, 'Annabel Marie Archer Jr');
  });

  it('userName alone is split into firstName and lastName', async () => {
    await okPut({ userDetails: { userName: 'Grace Brewster Hopper' } });
    const j = await get();
    assert.equal(j.userDetails.userName, 'Grace Brewster Hopper');
    assert.equal(j.userDetails.firstName, 'Grace');
    assert.equal(j.userDetails.lastName, 'Brewster Hopper');
    assert.ok(!j.userDetails.middleName, `middleName cleared: ${j.userDetails.middleName}`);
    assert.ok(!j.userDetails.suffixName, `suffixName cleared: ${j.userDetails.suffixName}`);
    // and back with split names
    await okPut({ userDetails: { firstName: 'Ann', middleName: 'Marie', lastName: 'Archer', suffixName: 'Jr' } });
    const k = await get();
    assert.equal(k.userDetails.userName, 'Ann Marie Archer Jr');
  });

  it('read-only and derived members in a PUT are ignored', async () => {
    const before = await get('bob', IDS.bob);
    await okPut({
      companyName: 'Bob Real Change',
      usageHistory: { sentCount: 999, signedCount: 999, lastSentDateTime: '2000-01-01T00:00:00.0000000Z' },
      authenticationMethods: [{ authenticationType: 'STAN', totalCount: 5 }],
      userProfileLastModifiedDate: '2000-01-01T00:00:00.0000000Z',
      profileImageUri: 'https://evil.test/x.png',
      userDetails: {
        email: 'evil@evil.test',
        userId: IDS.ann,
        isAdmin: 'true',
        permissionProfileId: '1',
        permissionProfileName: 'Account Administrator',
        groupList: [{ groupId: '10', groupName: 'Administrators' }],
        userStatus: 'Closed',
        createdDateTime: '2000-01-01T00:00:00.0000000Z',
        password: 'new-password-should-vanish',
        forgottenPasswordInfo: { forgottenPasswordQuestion1: 'q', forgottenPasswordAnswer1: 'secret-answer' },
      },
    }, { who: 'bob', uid: IDS.bob });
    const after = await get('bob', IDS.bob);
    assert.equal(after.companyName, 'Bob Real Change');
    assert.deepEqual(after.usageHistory, before.usageHistory);
    assert.deepEqual(after.authenticationMethods, before.authenticationMethods);
    assert.equal(after.profileImageUri, before.profileImageUri);
    assert.ok(!after.profileImageUri.includes('evil'));
    assert.notEqual(after.userProfileLastModifiedDate, '2000-01-01T00:00:00.0000000Z');
    assert.ok(after.userProfileLastModifiedDate > before.userProfileLastModifiedDate);
    for (const k of ['email', 'userId', 'isAdmin', 'permissionProfileId', 'permissionProfileName', 'userStatus', 'createdDateTime']) {
      assert.deepEqual(after.userDetails[k], before.userDetails[k], `userDetails.${k}`);
    }
    assert.deepEqual(after.userDetails.groupList, before.userDetails.groupList);
    const text = JSON.stringify(after);
    assert.ok(!text.includes('new-password-should-vanish') && !text.includes('secret-answer'));
    // bob is still not an admin: he cannot read ann
    assertError(await http('GET', annUrl(), { token: bob }), 403, 'USER_LACKS_PERMISSIONS');
  });

  it('JSON booleans for flags are accepted and stored as strings', async () => {
    await okPut({ displayProfile: false, displayOrganizationInfo: true });
    const j = await get();
    assert.equal(j.displayProfile, 'false');
    assert.equal(j.displayOrganizationInfo, 'true');
    await okPut({ displayProfile: 'true' });
    assert.equal((await get()).displayProfile, 'true');
  });

  it('userProfileLastModifiedDate changes on every PUT', async () => {
    await okPut({ companyName: 'Tick' });
    const d1 = (await get()).userProfileLastModifiedDate;
    await okPut({ companyName: 'Tock' });
    const d2 = (await get()).userProfileLastModifiedDate;
    assert.ok(d2 > d1, `${d2} > ${d1}`);
  });

  it('limits: exactly at the limit is accepted', async () => {
    const n50 = 'N'.repeat(50);
    await okPut({
      title: 'T'.repeat(100),
      address: { address1: 'A'.repeat(100), address2: 'B'.repeat(100) },
      userDetails: { firstName: n50, middleName: n50, lastName: n50, suffixName: n50, title: 'S'.repeat(10) },
    });
    const j = await get();
    assert.equal(j.title, 'T'.repeat(100));
    assert.equal(j.address.address1, 'A'.repeat(100));
    assert.equal(j.userDetails.firstName, n50);
    assert.equal(j.userDetails.title, 'S'.repeat(10));
  });

  it('limits: multi-byte characters count as characters, not bytes', async () => {
    const first = 'é'.repeat(50); // 100 bytes in UTF-8, 50 characters
    await okPut({ userDetails: { firstName: first, lastName: 'Ünïcødé' } });
    const j = await get();
    assert.equal(j.userDetails.firstName, first);
    assert.equal(j.userDetails.lastName, 'Ünïcødé');
  });

  for (const [what, body, field] of [
    ['firstName 51', { userDetails: { firstName: 'x'.repeat(51) } }, 'firstName'],
    ['middleName 51', { userDetails: { middleName: 'x'.repeat(51) } }, 'middleName'],
    ['lastName 51', { userDetails: { lastName: 'x'.repeat(51) } }, 'lastName'],
    ['suffixName 51', { userDetails: { suffixName: 'x'.repeat(51) } }, 'suffixName'],
    ['userDetails.title 11', { userDetails: { title: 'x'.repeat(11) } }, 'userDetails.title'],
    ['title 101', { title: 'x'.repeat(101) }, 'title'],
    ['address1 101', { address: { address1: 'x'.repeat(101) } }, 'address1'],
    ['address2 101', { address: { address2: 'x'.repeat(101) } }, 'address2'],
    ['firstName 51 characters of é', { userDetails: { firstName: 'é'.repeat(51) } }, 'firstName'],
    ['firstName not a string', { userDetails: { firstName: 42 } }, 'firstName'],
    ['flag not true/false', { displayProfile: 'maybe' }, 'displayProfile'],
    ['address not an object', { address: 'Main Street' }, 'address'],
    ['userDetails an array', { userDetails: [] }, 'userDetails'],
  ]) {
    it(`validation: ${what} → 400 INVALID_REQUEST_BODY, nothing changed`, async () => {
      const err = await refused(body, 400, 'INVALID_REQUEST_BODY', { what });
      assert.ok(err.message.includes(field), `message names ${field}: ${err.message}`);
    });
  }

  it('validation: several problems at once are all listed', async () => {
    const err = await refused({
      title: 'x'.repeat(101),
      address: { address1: 'y'.repeat(101) },
      userDetails: { firstName: 'z'.repeat(51), title: 'w'.repeat(11) },
    }, 400, 'INVALID_REQUEST_BODY');
    for (const f of ['address.address1', 'userDetails.firstName', 'userDetails.title']) {
      assert.ok(err.message.includes(f), `message names ${f}: ${err.message}`);
    }
    const parts = err.message.split(';').map((s) => s.trim()).filter(Boolean);
    assert.ok(parts.length >= 4, `four problems listed: ${err.message}`);
    assert.ok(parts.some((p) => /^title\b/.test(p)), `top-level title listed: ${err.message}`);
  });

  it('validation applies to an admin writing another member too', async () => {
    await refused({ userDetails: { lastName: 'q'.repeat(51) } }, 400, 'INVALID_REQUEST_BODY', { uid: IDS.bob });
  });

  for (const [what, body, contentType, status, code] of [
    ['malformed JSON', '{"companyName": ', 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['trailing garbage', '{"companyName": "x"} junk', 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['JSON array', '[{"companyName": "x"}]', 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['JSON string', '"companyName"', 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['JSON null', 'null', 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['empty body', '', 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json', 400, 'INVALID_REQUEST_BODY'],
    ['text/plain', '{"companyName": "x"}', 'text/plain', 415, 'INVALID_CONTENT_TYPE'],
    ['image/png', '{"companyName": "x"}', 'image/png', 415, 'INVALID_CONTENT_TYPE'],
  ]) {
    it(`bad body: ${what} → ${status} ${code}, nothing changed`, async () => {
      await refused(body, status, code, { contentType, what });
    });
  }

  it('deeply nested JSON is refused', async () => {
    let v = '"x"';
    for (let i = 0; i < 200; i++) v = `{"a":${v}}`;
    await refused(`{"userDetails":${v}}`, 400, 'INVALID_REQUEST_BODY');
  });

  it('body of exactly 64 KiB is accepted; one byte more → 413 REQUEST_ENTITY_TOO_LARGE', async () => {
    const make = (size) => {
      const head = '{"companyName":"Sized Co","zzPadding":"';
      const tail = '"}';
      return Buffer.from(head + 'p'.repeat(size - head.length - tail.length) + tail);
    };
    const ok = make(64 * 1024);
    assert.equal(ok.length, 65536);
    const r1 = await rawHttp('PUT', annUrl(), {
      headers: { Authorization: `Bearer ${ann}`, 'Content-Type': 'application/json' }, body: ok,
    });
    assert.equal(r1.status, 200, `65536-byte body: ${r1.status} ${r1.text().slice(0, 300)}`);
    const j = await get();
    assert.equal(j.companyName, 'Sized Co');
    assert.ok(!JSON.stringify(j).includes('ppppppppppppppppppppp'), 'unknown member is not stored or echoed');

    const before = await get();
    const r2 = await rawHttp('PUT', annUrl(), {
      headers: { Authorization: `Bearer ${ann}`, 'Content-Type': 'application/json' }, body: make(64 * 1024 + 1),
    });
    assertError(r2, 413, 'REQUEST_ENTITY_TOO_LARGE');
    assert.deepEqual(await get(), before);
  });

  it('a 1 MB profile body (Expect: 100-continue) is refused with 413 before it is sent', async () => {
    const before = await get();
    const big = Buffer.alloc(1024 * 1024, 0x20);
    const r = await rawHttp('PUT', annUrl(), {
      headers: { Authorization: `Bearer ${ann}`, 'Content-Type': 'application/json' }, body: big, expectContinue: true,
    });
    assertError(r, 413, 'REQUEST_ENTITY_TOO_LARGE');
    assert.equal(r.continued, false, 'the server asked for the body (100 Continue) instead of refusing it');
    assert.deepEqual(await get(), before);
  });

  it('a plain client sending 8 MB gets the 413 answer, not a connection reset', async () => {
    // fetch/axios do not use Expect: 100-continue; the server must let them
    // read its answer (drain or linger before closing).
    const before = await get();
    const big = Buffer.alloc(8 * 1024 * 1024, 0x20);
    for (let i = 0; i < 3; i++) {
      const r = await rawHttp('PUT', annUrl(), {
        headers: { Authorization: `Bearer ${ann}`, 'Content-Type': 'application/json' }, body: big,
      });
      assertError(r, 413, 'REQUEST_ENTITY_TOO_LARGE', `attempt ${i + 1}:`);
    }
    assert.deepEqual(await get(), before);
  });

  it('PUT with charset parameter and SDK headers works', async () => {
    await okPut({ companyName: 'Charset Co' }, {
      contentType: 'application/json; charset=utf-8',
      headers: { 'X-DocuSign-SDK': 'Node', 'Node-Ver': process.version, Accept: 'application/json' },
    });
    assert.equal((await get()).companyName, 'Charset Co');
  });

  it('PUT on every prefix', async () => {
    for (const p of PREFIXES) {
      await okPut({ companyName: `Via ${p}` }, { prefix: p });
      assert.equal((await get('ann', IDS.ann, p)).companyName, `Via ${p}`);
    }
  });

  it('PUT of v2-style userSettings array and v2.1 object', async () => {
    await okPut({ userDetails: { userSettings: [{ name: 'locale', value: 'it' }] } }, { prefix: '/restapi/v2' });
    const a = await get('ann', IDS.ann, '/restapi/v2.1');
    assert.equal(a.userDetails.userSettings.locale, 'it');
    await okPut({ userDetails: { userSettings: { locale: 'pt_BR' } } }, { prefix: '/restapi/v2.1' });
    const b = await get('ann', IDS.ann, '/restapi/v2');
    assert.ok(b.userDetails.userSettings.some((s) => s.name === 'locale' && s.value === 'pt_BR'));
  });
});
