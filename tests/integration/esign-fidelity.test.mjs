// esign-fidelity.test.mjs - what the docusign-esign SDK and DocuSign's own
// definitions expect of a profile (issue 10): the v2.1 account-management
// flags where the SDK reads them, every rendered member checked against the
// SDK's model classes (v2.1) and the v2 OpenAPI definitions (v2), dates at
// millisecond precision, DocuSign's error codes, and the headers real
// answers carry (trace token, Cache-Control, HSTS on HTTPS).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodeHttps from 'node:https';
import {
  setupTenant, http, rawHttp, assertError, profileUrl, imageUrl, tempDir, sleep,
  TENANT, IDS, ACC_A, ACC_B, ROOT, SPECS_DIR,
} from './lib/server.mjs';
import { makePng } from './lib/images.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');
const MODEL_DIR = path.join(ROOT, 'node_modules/docusign-esign/src/model');
const model = (name) => require(path.join(MODEL_DIR, `${name}.js`));
// DocuSign's v2 OpenAPI file (test data, never part of the product): beside
// tests/integration/fixtures/specs, or where PROFILED_SPECS_DIR says (lib/server.mjs).
const V2_SPEC = JSON.parse(readFileSync(path.join(SPECS_DIR, 'esignature.rest.swagger-v2.json'), 'utf8'));

const DATE_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}0000Z$/;

/** The tenant fixture with ann filled in with every member import accepts. */
function fullTenantFile() {
  const t = structuredClone(TENANT);
  const ann = t.users.find((u) => u.userId === IDS.ann);
  const ud = ann.profile.userDetails;
  ann.profile.address.zipPlus4 = '1234';
  ud.homeAddress.zipPlus4 = '5678';
  ud.workAddress.zipPlus4 = '9012';
  ud.customSettings[0].originalValue = 'south';
  ud.loginStatus = 'password_active';
  ud.subscribe = 'true';
  ud.enableConnectForUser = 'false';
  ud.sendActivationOnInvalidLogin = 'false';
  ud.signatureImageUri = '/signatures/ann';
  ud.initialsImageUri = '/initials/ann';
  ud.userSettings.push({ name: 'timezoneOffset', value: 'tz_01_samoa' }, { name: 'notAModelSetting', value: 'x' });
  // stored granular flags (import), one of each version, with metadata
  ud.accountManagementGranular = {
    canManageReporting: 'false',
    canManageReportingMetadata: { rights: 'editable', uiHint: 'available', options: ['true', 'false'] },
    canManageStamps: 'false',
    canManageGroups: 'false',
  };
  ann.profile.usageHistory.lastSentDateTime = '2024-05-01T10:00:00.1234567Z';
  ann.profile.usageHistory.lastSignedDateTime = '2024-05-02T13:00:00+02:00';
  const file = path.join(tempDir(), 'full-tenant.json');
  writeFileSync(file, JSON.stringify(t, null, 2));
  return file;
}

function usersApi(base, token) {
  const client = new docusign.ApiClient();
  client.setBasePath(`${base}/restapi`);
  client.addDefaultHeader('Authorization', `Bearer ${token}`);
  return new docusign.UsersApi(client);
}

/**
 * Walks json against an SDK model class: every member must survive the
 * class's own constructFromObject (a member it does not know is dropped),
 * with the same JSON type; nested objects against the nested classes the
 * SDK built.  Returns the problems found.
 */
function walkSdk(json, Model, where, problems = []) {
  const built = Model.constructFromObject(json);
  for (const [k, v] of Object.entries(json)) {
    const p = `${where}.${k}`;
    if (!Object.prototype.hasOwnProperty.call(built, k)) {
      problems.push(`${p}: not a member of the SDK model`);
      continue;
    }
    const b = built[k];
    if (Array.isArray(v)) {
      if (!Array.isArray(b)) { problems.push(`${p}: the SDK does not read an array here`); continue; }
      v.forEach((item, i) => {
        if (item !== null && typeof item === 'object') {
          if (b[i] && typeof b[i].constructor.constructFromObject === 'function') {
            walkSdk(item, b[i].constructor, `${p}[${i}]`, problems);
          } else problems.push(`${p}[${i}]: the SDK does not read an object here`);
        } else if (typeof item !== typeof b[i]) problems.push(`${p}[${i}]: ${typeof item}, the SDK makes ${typeof b[i]}`);
      });
    } else if (v !== null && typeof v === 'object') {
      if (b && typeof b.constructor.constructFromObject === 'function') walkSdk(v, b.constructor, p, problems);
      else problems.push(`${p}: the SDK does not read an object here`);
    } else if (typeof v !== typeof b || v !== b) {
      problems.push(`${p}: ${JSON.stringify(v)} becomes ${JSON.stringify(b)} in the SDK`);
    }
  }
  return problems;
}

/** Walks json against a v2 OpenAPI definition (resolving $ref). */
function walkSpec(json, schema, where, problems = []) {
  while (schema.$ref) schema = V2_SPEC.definitions[schema.$ref.replace('#/definitions/', '')];
  if (Array.isArray(json)) {
    if (schema.type !== 'array') return problems.push(`${where}: an array where v2 has ${schema.type}`), problems;
    json.forEach((it, i) => walkSpec(it, schema.items, `${where}[${i}]`, problems));
  } else if (json !== null && typeof json === 'object') {
    if (!schema.properties) return problems.push(`${where}: an object where v2 has ${schema.type}`), problems;
    for (const [k, v] of Object.entries(json)) {
      if (!schema.properties[k]) problems.push(`${where}.${k}: not in the v2 definition`);
      else walkSpec(v, schema.properties[k], `${where}.${k}`, problems);
    }
  } else {
    const want = { string: 'string', integer: 'number', boolean: 'boolean' }[schema.type];
    if (typeof json !== want) problems.push(`${where}: ${typeof json} where v2 has ${schema.type}`);
    else if (schema.type === 'integer' && !Number.isInteger(json)) problems.push(`${where}: not an integer`);
  }
  return problems;
}

/** Every string member that looks like a date, with its path. */
function dates(v, p = '$', out = []) {
  if (Array.isArray(v)) v.forEach((x, i) => dates(x, `${p}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) dates(x, `${p}.${k}`, out);
  else if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) out.push([p, v]);
  return out;
}

describe('eSignature fidelity', () => {
  let env;
  let base;
  let T;

  before(async () => {
    env = await setupTenant({ fixture: fullTenantFile() });
    base = env.base;
    T = env.tokens;
    const up = await rawHttp('PUT', imageUrl(base, ACC_A, IDS.ann), {
      headers: { Authorization: `Bearer ${T.ann}`, 'Content-Type': 'image/png' }, body: makePng(8, 8),
    });
    assert.equal(up.status, 200, up.text());
  });
  after(async () => env && env.teardown());

  describe('account-management flags', () => {
    it('the SDK reads userDetails.userSettings.accountManagementGranular on v2.1: admin', async () => {
      const p = await usersApi(base, T.ann).getProfile(ACC_A, IDS.ann);
      const g = p.userDetails.userSettings.accountManagementGranular;
      assert.ok(g instanceof model('UserAccountManagementGranularInformation'), 'SDK builds the granular model');
      for (const k of ['canManageUsers', 'canManageAdmins', 'canManageAccountSettings', 'canManageAccountSecuritySettings',
        'canManageSharing', 'canManageSigningGroups', 'canManageConnect', 'canManageDocumentRetention',
        'canManageEnvelopeTransfer', 'canManageJointAgreements', 'canViewUsers']) {
        assert.equal(g[k], 'true', `admin ${k}`);
      }
      assert.equal(g.canManageGroupsButNotUsers, 'false', 'an admin manages users too');
      // imported flags win over the derived ones
      assert.equal(g.canManageReporting, 'false');
      assert.equal(g.canManageStamps, 'false');
      assert.equal(g.canManageReportingMetadata.rights, 'editable');
      assert.deepEqual(g.canManageReportingMetadata.options, ['true', 'false']);
      assert.equal(p.userDetails.userSettings.canManageAccount, 'true');
      assert.equal(p.userDetails.accountManagementGranular, undefined);
    });

    it('the SDK reads them on v2.1: plain member', async () => {
      const p = await usersApi(base, T.bob).getProfile(ACC_A, IDS.bob);
      const g = p.userDetails.userSettings.accountManagementGranular;
      assert.ok(g, 'present for a plain member too');
      const names = Object.keys(JSON.parse(JSON.stringify(g)));
      assert.equal(names.length, 14);
      for (const k of names) assert.equal(g[k], 'false', `member ${k}`);
      assert.equal(p.userDetails.userSettings.canManageAccount, 'false');
      // bob's own settings survive next to them
      assert.equal(p.userDetails.userSettings.locale, 'en_GB');
    });

    it('raw /v2 keeps them in userDetails, with the v2 member set', async () => {
      for (const [who, want] of [['ann', 'true'], ['bob', 'false']]) {
        const r = await http('GET', profileUrl(base, ACC_A, IDS[who], '/restapi/v2'), { token: T[who] });
        assert.equal(r.status, 200);
        const ud = r.json().userDetails;
        const g = ud.accountManagementGranular;
        assert.ok(g, `${who}: userDetails.accountManagementGranular on v2`);
        assert.equal(g.canManageUsers, want);
        assert.equal(g.canManageGroups, who === 'ann' ? 'false' /* imported */ : 'false');
        assert.equal(g.canViewUsers, want);
        assert.equal(g.canManageConnect, undefined, 'v2.1-only member');
        assert.equal(g.canManageGroupsButNotUsers, undefined, 'v2.1-only member');
        assert.ok(Array.isArray(ud.userSettings));
        assert.ok(!ud.userSettings.some((s) => s.name === 'accountManagementGranular'));
        assert.deepEqual(ud.userSettings.find((s) => s.name === 'canManageAccount'), { name: 'canManageAccount', value: want });
      }
      const r21 = await http('GET', profileUrl(base, ACC_A, IDS.ann, '/v2.1'), { token: T.ann });
      assert.equal(r21.json().userDetails.accountManagementGranular, undefined, 'not in v2.1 userInformation');
    });

    it('a plain member cannot grant himself the flags, on either version', async () => {
      const put21 = await http('PUT', profileUrl(base, ACC_A, IDS.bob), {
        token: T.bob,
        json: { userDetails: { userSettings: { canManageAccount: 'true', locale: 'en_GB',
          accountManagementGranular: { canManageUsers: 'true', canManageAdmins: 'true' } } } },
      });
      assert.equal(put21.status, 200, put21.text());
      const put2 = await http('PUT', profileUrl(base, ACC_A, IDS.bob, '/restapi/v2'), {
        token: T.bob,
        json: { userDetails: { accountManagementGranular: { canManageUsers: 'true' },
          userSettings: [{ name: 'canManageAccount', value: 'true' }, { name: 'accountManagementGranular', value: 'x' }] } },
      });
      assert.equal(put2.status, 200, put2.text());
      const p = await usersApi(base, T.bob).getProfile(ACC_A, IDS.bob);
      assert.equal(p.userDetails.userSettings.canManageAccount, 'false');
      assert.equal(p.userDetails.userSettings.accountManagementGranular.canManageUsers, 'false');
      assert.equal(p.userDetails.userSettings.accountManagementGranular.canManageAdmins, 'false');
      const v2 = (await http('GET', profileUrl(base, ACC_A, IDS.bob, '/restapi/v2'), { token: T.bob })).json();
      assert.equal(v2.userDetails.accountManagementGranular.canManageUsers, 'false');
      assert.deepEqual(v2.userDetails.userSettings.filter((x) => x.name === 'canManageAccount'),
        [{ name: 'canManageAccount', value: 'false' }]);
      assert.ok(!v2.userDetails.userSettings.some((x) => x.name === 'accountManagementGranular'));
    });

    it('what the SDK read can be sent back unchanged and changes nothing', async () => {
      const api = usersApi(base, T.ann);
      const before1 = await http('GET', profileUrl(base, ACC_A, IDS.ann), { token: T.ann });
      const p = await api.getProfile(ACC_A, IDS.ann);
      await api.updateProfile(ACC_A, IDS.ann, { userProfile: JSON.parse(JSON.stringify(p)) });
      const after1 = await http('GET', profileUrl(base, ACC_A, IDS.ann), { token: T.ann });
      const strip = (j) => { const c = structuredClone(j); delete c.userProfileLastModifiedDate; delete c.userDetails.userProfileLastModifiedDate; return c; };
      assert.deepEqual(strip(after1.json()), strip(before1.json()));
    });
  });

  describe('every member against the models', () => {
    it('v2.1: the fully populated profile walks clean through the SDK model classes', async () => {
      for (const prefix of ['/restapi/v2.1', '/v2.1']) {
        const r = await http('GET', profileUrl(base, ACC_A, IDS.ann, prefix), { token: T.ann });
        assert.equal(r.status, 200);
        const j = r.json();
        assert.deepEqual(walkSdk(j, model('UserProfile'), 'userProfile'), [], `${prefix}: members the SDK does not know`);
        // and nothing the model has that the data supports is left out
        const ud = j.userDetails;
        for (const k of ['userId', 'userName', 'firstName', 'middleName', 'lastName', 'suffixName', 'title', 'jobTitle',
          'email', 'userType', 'userStatus', 'isAdmin', 'uri', 'createdDateTime', 'userProfileLastModifiedDate',
          'permissionProfileId', 'permissionProfileName', 'groupList', 'homeAddress', 'workAddress', 'customSettings',
          'userSettings', 'countryCode', 'loginStatus', 'subscribe', 'enableConnectForUser',
          'sendActivationOnInvalidLogin', 'signatureImageUri', 'initialsImageUri', 'profileImageUri',
          'defaultAccountId']) {
          assert.ok(ud[k] !== undefined, `${prefix}: userDetails.${k} missing`);
        }
        assert.equal(ud.defaultAccountId, ACC_A, 'the lowest-numbered account is the default');
        assert.equal(ud.homeAddress.zipPlus4, '5678');
        assert.equal(j.address.zipPlus4, '1234');
        for (const k of ['address', 'authenticationMethods', 'companyName', 'displayOrganizationInfo',
          'displayPersonalInfo', 'displayProfile', 'displayUsageHistory', 'profileImageUri', 'title', 'usageHistory',
          'userDetails', 'userProfileLastModifiedDate']) assert.ok(j[k] !== undefined, `${prefix}: ${k} missing`);
        assert.equal(ud.userSettings.timezoneOffset, 'tz_01_samoa');
        assert.equal(ud.userSettings.notAModelSetting, undefined, 'a setting the v2.1 model does not name is left out');
      }
    });

    it('the walk fails on a member the model does not know (the check can fail)', () => {
      const problems = walkSdk({ companyName: 'x', userDetails: { accountManagementGranular: {}, userSettings: { bogus: 'y' } },
        usageHistory: { sentCount: 3 } }, model('UserProfile'), 'userProfile');
      assert.deepEqual(problems.sort(), [
        'userProfile.usageHistory.sentCount: 3 becomes "3" in the SDK',
        'userProfile.userDetails.accountManagementGranular: not a member of the SDK model',
        'userProfile.userDetails.userSettings.bogus: not a member of the SDK model',
      ]);
      assert.deepEqual(walkSpec({ userDetails: { defaultAccountId: 'a' }, usageHistory: { sentCount: '3' } },
        V2_SPEC.definitions.userProfile, 'userProfile').sort(), [
        'userProfile.usageHistory.sentCount: string where v2 has integer',
        'userProfile.userDetails.defaultAccountId: not in the v2 definition',
      ]);
    });

    it('v2: the fully populated profile walks clean through the v2 OpenAPI definitions', async () => {
      for (const prefix of ['/restapi/v2', '/v2']) {
        const r = await http('GET', profileUrl(base, ACC_A, IDS.ann, prefix), { token: T.ann });
        assert.equal(r.status, 200);
        const j = r.json();
        assert.deepEqual(walkSpec(j, V2_SPEC.definitions.userProfile, 'userProfile'), [], `${prefix}: members v2 does not define`);
        assert.ok(j.userDetails.accountManagementGranular);
        assert.equal(j.userDetails.defaultAccountId, undefined);
        assert.equal(j.address.zipPlus4, undefined);
      }
    });

    it('every date is YYYY-MM-DDTHH:MM:SS.fff0000Z on both versions, JSON and XML', async () => {
      for (const prefix of ['/restapi/v2', '/restapi/v2.1']) {
        const j = (await http('GET', profileUrl(base, ACC_A, IDS.ann, prefix), { token: T.ann })).json();
        const found = dates(j);
        assert.ok(found.length >= 7, `${prefix}: dates found ${JSON.stringify(found)}`);
        for (const [p, v] of found) assert.match(v, DATE_MS, `${prefix} ${p}`);
        assert.equal(j.usageHistory.lastSentDateTime, '2024-05-01T10:00:00.1230000Z');
        assert.equal(j.usageHistory.lastSignedDateTime, '2024-05-02T11:00:00.0000000Z', 'offset turned into UTC');
        const x = await http('GET', profileUrl(base, ACC_A, IDS.ann, prefix), { token: T.ann, headers: { Accept: 'application/xml' } });
        const xmlDates = x.text().match(/>(\d{4}-\d\d-\d\dT[^<]*)</g) || [];
        assert.ok(xmlDates.length >= 7);
        for (const d of xmlDates) assert.match(d.slice(1, -1), DATE_MS);
      }
      // a fresh write: the modification date is at millisecond precision too
      assert.equal((await http('PUT', profileUrl(base, ACC_B, IDS.cat), { token: T.cat, json: { title: 'Now' } })).status, 200);
      const c = (await http('GET', profileUrl(base, ACC_B, IDS.cat), { token: T.cat })).json();
      assert.match(c.userProfileLastModifiedDate, DATE_MS);
    });
  });

  describe('errors as DocuSign gives them', () => {
    const url = () => profileUrl(base, ACC_A, IDS.ann);
    const cases = [
      ['no credentials at all', () => http('GET', url()), 401, 'PARTNER_AUTHENTICATION_FAILED'],
      ['a bad token', () => http('GET', url(), { token: 'garbage' }), 401, 'AUTHORIZATION_INVALID_TOKEN'],
      ['an expired-looking token', () => http('GET', url(), { token: 'a.b.c' }), 401, 'AUTHORIZATION_INVALID_TOKEN'],
      ['not Bearer', () => http('GET', url(), { headers: { Authorization: 'Basic eDp5' } }), 401, 'AUTHORIZATION_INVALID_TOKEN'],
      ['bad accountId', () => http('GET', profileUrl(base, 'not-an-account', IDS.ann), { token: T.ann }), 400, 'INVALID_ACCOUNT_ID'],
      ['bad userId', () => http('GET', profileUrl(base, ACC_A, 'nope'), { token: T.ann }), 400, 'INVALID_USERID'],
      ['foreign account', () => http('GET', profileUrl(base, ACC_B, IDS.ann), { token: T.ann }), 403, 'USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT'],
      ['another user, not admin', () => http('GET', profileUrl(base, ACC_A, IDS.ann), { token: T.bob }), 403, 'USER_LACKS_PERMISSIONS'],
      ['no image', async () => {
        await http('DELETE', imageUrl(base, ACC_B, IDS.cat), { token: T.cat });
        return http('GET', imageUrl(base, ACC_B, IDS.cat), { token: T.cat });
      }, 404, 'PROFILE_IMAGE_NOT_FOUND'],
      ['unknown path', () => http('GET', `${base}/restapi/v2.1/nothing`, { token: T.ann }), 404, 'RESOURCE_NOT_FOUND'],
      ['wrong method', () => http('POST', url(), { token: T.ann }), 405, 'METHOD_NOT_ALLOWED'],
    ];
    for (const [name, run, status, code] of cases) {
      it(`${name}: ${status} ${code}, with the common headers`, async () => {
        const r = await run();
        assertError(r, status, code, name);
        assert.equal(r.headers.get('cache-control'), 'no-cache');
        assert.match(r.headers.get('x-docusign-tracetoken') || '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      });
    }
    it('no credentials: DocuSign\'s message', async () => {
      const r = await http('GET', url());
      assert.equal(r.json().message,
        'The specified Integrator Key was not found or is disabled. An Integrator key was not specified.');
      assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
    });
  });

  describe('headers', () => {
    it('Cache-Control: no-cache on profile answers, cached or not; trace token fresh per request and in the log', async () => {
      const traces = [];
      for (let i = 0; i < 6; i++) {
        // a new client each time: a fresh connection (agent: false)
        const r = await rawHttp('GET', profileUrl(base, ACC_A, IDS.ann), { headers: { Authorization: `Bearer ${T.ann}` } });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('cache-control'), 'no-cache', `request ${i}`);
        assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
        traces.push(r.headers.get('x-docusign-tracetoken'));
      }
      assert.equal(new Set(traces).size, traces.length, `trace tokens repeat: ${traces}`);
      let lines = [];
      for (let i = 0; i < 50 && lines.length < traces.length; i++) {
        await sleep(20);
        lines = env.server.stderr().split('\n').filter((l) => traces.some((t) => l.includes(t)));
      }
      for (const t of traces) {
        const line = lines.find((l) => l.includes(t));
        assert.ok(line, `trace ${t} not in the log`);
        const j = JSON.parse(line);
        assert.equal(j.msg, 'request');
        assert.equal(j.trace, t);
        assert.equal(j.status, 200);
      }
    });

    it('a trace token sent by the client is not echoed: every answer gets its own', async () => {
      const mine = '11111111-1111-4111-8111-111111111111';
      const r = await http('GET', profileUrl(base, ACC_A, IDS.ann), { token: T.ann, headers: { 'X-DocuSign-TraceToken': mine } });
      assert.equal(r.status, 200);
      assert.notEqual(r.headers.get('x-docusign-tracetoken'), mine);
      assert.match(r.headers.get('x-docusign-tracetoken'), /^[0-9a-f-]{36}$/);
    });

    it('images keep their validators: ETag, 304, private no-cache', async () => {
      const a = await rawHttp('GET', imageUrl(base, ACC_A, IDS.ann), { headers: { Authorization: `Bearer ${T.ann}` } });
      assert.equal(a.status, 200);
      const etag = a.headers.get('etag');
      assert.ok(etag);
      assert.match(a.headers.get('cache-control'), /no-cache/);
      const b = await rawHttp('GET', imageUrl(base, ACC_A, IDS.ann), { headers: { Authorization: `Bearer ${T.ann}` } });
      assert.equal(b.headers.get('etag'), etag);
      assert.notEqual(b.headers.get('x-docusign-tracetoken'), a.headers.get('x-docusign-tracetoken'));
      const c = await rawHttp('GET', imageUrl(base, ACC_A, IDS.ann), {
        headers: { Authorization: `Bearer ${T.ann}`, 'If-None-Match': etag },
      });
      assert.equal(c.status, 304);
      assert.equal(c.headers.get('etag'), etag);
      assert.ok(c.headers.get('x-docusign-tracetoken'));
    });
  });
});

describe('HTTPS answers carry Strict-Transport-Security', () => {
  let env;
  let https;
  let ca;

  before(async () => {
    const dataDir = path.join(tempDir(), 'data');
    env = await setupTenant({ extraArgs: ['--https-port', '0', '--data-dir', dataDir] });
    let m = null;
    for (let i = 0; i < 100 && !m; i++) {
      m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(env.server.stdout());
      if (!m) await sleep(20);
    }
    assert.ok(m, 'https listener');
    https = m[1];
    ca = readFileSync(path.join(dataDir, 'cert.pem'));
  });
  after(async () => env && env.teardown());

  const get = (url, headers = {}) => new Promise((resolve, reject) => {
    const req = nodeHttps.get(url, { ca, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
  });

  it('profile, cached profile and errors over HTTPS; none over plain HTTP', async () => {
    const auth = { Authorization: `Bearer ${env.tokens.ann}` };
    const u = profileUrl(https, ACC_A, IDS.ann);
    for (const r of [await get(u, auth), await get(u, auth), await get(u)]) {
      assert.match(r.headers['strict-transport-security'] || '', /^max-age=\d+/);
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.ok(r.headers['x-docusign-tracetoken']);
    }
    const plain = await http('GET', profileUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('strict-transport-security'), null);
  });
});
