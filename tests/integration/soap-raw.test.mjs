// soap-raw.test.mjs - SOAP AccountManagement with hand-written envelopes
// (seed 003): the exact request shapes of both versions answered in their
// own envelope and content type, element order checked against the
// schema; prefixes never matter; the path in any case; ?WSDL; every
// ErrorCode path; every fault; the three credential forms; round trips
// SOAP -> REST and REST -> SOAP for profile fields and the image.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  http, rawHttp, profileUrl, imageUrl, IDS, ACC_A, ACC_A_NUMBER, ACC_B, ROOT, SPECS_DIR,
} from './lib/server.mjs';
import { useLegacyTenant, IKEY, PASSWORDS, jsonCreds, xmlCreds } from './lib/legacy.mjs';
import { child, childrenNamed, local, textAt, parseXml } from './lib/xml.mjs';
import { makePng, makeGif } from './lib/images.mjs';
import {
  AM, NS11, NS12, PATH, envelope, wsseHeader, wsaHeaders, post, bodyOf, resultOf, faultOf, getProfileBody,
} from './lib/soap.mjs';

const SEED11 = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <GetUserProfile xmlns="http://www.docusign.net/API/AccountManagement">
      <UserId>${IDS.ann}</UserId>
      <AccountId>${ACC_A}</AccountId>
    </GetUserProfile>
  </soap:Body>
</soap:Envelope>`;
const SEED12 = `<?xml version="1.0" encoding="utf-8"?>
<soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">
  <soap12:Body>
    <GetUserProfile xmlns="http://www.docusign.net/API/AccountManagement">
      <UserId>${IDS.ann}</UserId>
      <AccountId>${ACC_A}</AccountId>
    </GetUserProfile>
  </soap12:Body>
</soap12:Envelope>`;

const names = (el) => el.children.map((c) => local(c.name));
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const wsse = (who = 'ann') => wsseHeader(`[${IKEY}]${who}@acme.test`, PASSWORDS[who]);

function assertBusinessError(res, v, op, code) {
  assert.equal(res.status, 200, `${op} ${code}: HTTP ${res.status} ${res.text().slice(0, 300)}`);
  const r = resultOf(res, v, op);
  assert.equal(textAt(r, 'Success'), 'false', res.text());
  assert.equal(textAt(r, 'Error/ErrorCode'), code, res.text());
  assert.ok(textAt(r, 'Error/Description').length > 0);
  assert.deepEqual(names(r).slice(-2), ['Success', 'Error']);
  return r;
}

describe('SOAP AccountManagement: raw envelopes', () => {
  const env = useLegacyTenant();

  for (const v of [11, 12]) {
    it(`seed 003 GetUserProfile, SOAP 1.${v === 11 ? 1 : 2}: own envelope, content type, schema order, types`, async () => {
      const res = await post(env.base, v, 'GetUserProfile', v === 11 ? SEED11 : SEED12,
        { headers: { Authorization: `Bearer ${env.tokens.ann}` } });
      assert.equal(res.status, 200, res.text());
      assert.match(res.headers.get('content-type'), v === 11 ? /^text\/xml; charset=utf-8$/ : /^application\/soap\+xml; charset=utf-8$/);
      const envEl = parseXml(res.text());
      assert.equal(envEl.attrs[`xmlns:${v === 11 ? 'soap' : 'soap12'}`], v === 11 ? NS11 : NS12);
      const resp = bodyOf(res, v);
      assert.equal(resp.name, 'GetUserProfileResponse');
      assert.equal(resp.attrs.xmlns, AM);
      const result = resultOf(res, v, 'GetUserProfile');
      assert.deepEqual(names(result), ['UserProfile', 'Success']);
      assert.equal(textAt(result, 'Success'), 'true');
      const up = child(result, 'UserProfile');
      assert.deepEqual(names(up), ['AccountId', 'UserId', 'ShowDocuSignID', 'DisplayCompanyAndTitle',
        'DisplayAddressAndPhone', 'DisplayUsageHistory', 'Company', 'Title', 'Address', 'AuthenticationHistory',
        'UsageHistory']);
      assert.equal(textAt(up, 'AccountId'), ACC_A);
      assert.equal(textAt(up, 'UserId'), IDS.ann);
      assert.equal(textAt(up, 'ShowDocuSignID'), 'true');
      assert.equal(textAt(up, 'DisplayCompanyAndTitle'), 'true');
      assert.equal(textAt(up, 'DisplayAddressAndPhone'), 'false');
      assert.equal(textAt(up, 'DisplayUsageHistory'), 'true');
      assert.equal(textAt(up, 'Company'), 'Acme Corp');
      assert.equal(textAt(up, 'Title'), 'Head of Sales');
      assert.deepEqual(names(child(up, 'Address')), ['Address1', 'Address2', 'City', 'State', 'Zip', 'Phone', 'Fax', 'Country']);
      assert.equal(textAt(up, 'Address/State'), 'IL');
      assert.equal(textAt(up, 'Address/Zip'), '62701');
      const methods = childrenNamed(child(up, 'AuthenticationHistory'), 'AuthenticationMethod');
      assert.deepEqual(methods.map((m) => m.attrs.Type), ['PhoneAuth', 'SSOAuth']);
      for (const m of methods) {
        assert.deepEqual(names(m), ['TotalCount', 'LastTimestamp', 'LastProvider']);
        assert.match(textAt(m, 'TotalCount'), /^\d+$/);
        assert.match(textAt(m, 'LastTimestamp'), DATE);
      }
      assert.equal(textAt(methods[0], 'TotalCount'), '3');
      const usage = child(up, 'UsageHistory');
      assert.deepEqual(names(usage), ['SignedCount', 'LastSignedTimestamp', 'SentCount', 'LastSentTimestamp']);
      assert.equal(textAt(usage, 'SignedCount'), '34');
      assert.equal(textAt(usage, 'SentCount'), '12');
      assert.match(textAt(usage, 'LastSignedTimestamp'), DATE);
    });
  }

  it('prefixes never matter; the action may come from the body alone; the path in any case', async () => {
    const auth = { Authorization: `Bearer ${env.tokens.ann}` };
    for (const [v, prefix, p, action] of [[12, 'soap', PATH, true], [12, 'env', PATH, false], [11, 's', PATH, false],
      [11, 'soap', '/API/3.0/AccountManagement.asmx', true], [12, 'x', '/Api/3.0/ACCOUNTMANAGEMENT.ASMX', true]]) {
      const res = await post(env.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.ann, ACC_A_NUMBER), { prefix }),
        { headers: auth, path: p, action });
      assert.equal(res.status, 200, `${v} ${prefix} ${p}: ${res.text().slice(0, 300)}`);
      assert.equal(textAt(resultOf(res, v, 'GetUserProfile'), 'UserProfile/UserId'), IDS.ann);
    }
  });

  it('?WSDL in any case: both bindings, the five operations, the whole ErrorCode enumeration, this server as address', async () => {
    const spec = readFileSync(path.join(SPECS_DIR, 'docusign-accountmanagement.wsdl'), 'utf8');
    const seedCodes = [...spec.slice(spec.indexOf('<s:simpleType name="ErrorCode">'))
      .split('</s:simpleType>')[0].matchAll(/value="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(seedCodes.length, 57);
    for (const q of ['WSDL', 'wsdl', 'Wsdl']) {
      const r = await http('GET', `${env.base}/API/3.0/AccountManagement.asmx?${q}`);
      assert.equal(r.status, 200, q);
      assert.match(r.headers.get('content-type'), /^text\/xml/);
      const w = parseXml(r.text());
      assert.equal(local(w.name), 'definitions');
      assert.equal(w.attrs.targetNamespace, AM);
      const bindings = childrenNamed(w, 'binding').map((b) => b.attrs.name);
      assert.deepEqual(bindings, ['AccountManagementServiceSoap', 'AccountManagementServiceSoap12']);
      const ops = childrenNamed(child(w, 'portType'), 'operation').map((o) => o.attrs.name);
      assert.deepEqual(ops.sort(), ['GetUserProfile', 'GetUserProfileImage', 'Ping', 'SetUserProfile', 'SetUserProfileImage']);
      const schema = child(child(w, 'types'), 'schema');
      const ec = childrenNamed(schema, 'simpleType').find((s) => s.attrs.name === 'ErrorCode');
      assert.deepEqual(childrenNamed(child(ec, 'restriction'), 'enumeration').map((e) => e.attrs.value), seedCodes);
      const ports = childrenNamed(child(w, 'service'), 'port');
      assert.deepEqual(ports.map((p) => child(p, 'address').attrs.location), [`${env.base}${PATH}`, `${env.base}${PATH}`]);
    }
    assert.notEqual((await http('GET', `${env.base}${PATH}`)).text(), spec, 'never the spec file');
  });

  for (const v of [11, 12]) {
    it(`every operation with WS-Security (mustUnderstand, Timestamp, WS-Addressing), SOAP 1.${v === 11 ? 1 : 2}`, async () => {
      const ep = v === 12 ? 'soap12' : 'soap';
      const header = wsseHeader(`[${IKEY}]bob@acme.test`, PASSWORDS.bob, { envPrefix: ep }) + wsaHeaders('Ping', `${env.base}${PATH}`, ep);
      const call = (op, body) => post(env.base, v, op, envelope(v, body, { header: header.replace(/\/Ping</, `/${op}<`) }));
      const ping = await call('Ping', `<Ping xmlns="${AM}"/>`);
      assert.equal(textAt(bodyOf(ping, v), 'PingResult'), 'true');
      const g = resultOf(await call('GetUserProfile', getProfileBody(IDS.bob, ACC_A)), v, 'GetUserProfile');
      assert.equal(textAt(g, 'Success'), 'true');
      assert.equal(textAt(g, 'UserProfile/UserId'), IDS.bob);
      const s = resultOf(await call('SetUserProfile', `<SetUserProfile xmlns="${AM}"><UserProfile><AccountId>${ACC_A}</AccountId>`
        + `<UserId>${IDS.bob}</UserId><ShowDocuSignID>true</ShowDocuSignID><DisplayCompanyAndTitle>1</DisplayCompanyAndTitle>`
        + `<DisplayAddressAndPhone>false</DisplayAddressAndPhone><DisplayUsageHistory>0</DisplayUsageHistory>`
        + `<Company>Bob &amp; Co v${v}</Company></UserProfile></SetUserProfile>`), v, 'SetUserProfile');
      assert.deepEqual(names(s), ['MembershipId', 'Success'], JSON.stringify(s));
      assert.match(textAt(s, 'MembershipId'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const png = makePng(5, 5, { seed: v });
      const si = resultOf(await call('SetUserProfileImage', `<SetUserProfileImage xmlns="${AM}"><UserProfileImage><Image>`
        + `<MimeType>image/png</MimeType><ImageData>${png.toString('base64')}</ImageData></Image></UserProfileImage></SetUserProfileImage>`),
      v, 'SetUserProfileImage');
      assert.deepEqual(names(si), ['UserId', 'Success']);
      assert.equal(textAt(si, 'UserId'), IDS.bob);
      const gi = resultOf(await call('GetUserProfileImage', `<GetUserProfileImage xmlns="${AM}"/>`), v, 'GetUserProfileImage');
      assert.deepEqual(names(gi), ['UserProfileImage', 'Success']);
      assert.equal(textAt(gi, 'UserProfileImage/Image/MimeType'), 'image/png');
      assert.ok(Buffer.from(textAt(gi, 'UserProfileImage/Image/ImageData'), 'base64').equals(png));
    });
  }

  it('X-DocuSign-Authentication (XML and JSON) and Bearer work for every operation', async () => {
    for (const headers of [{ 'X-DocuSign-Authentication': xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann, prefix: 'ds' }) },
      { 'X-DocuSign-Authentication': jsonCreds({ user: IDS.ann, password: PASSWORDS.ann }) },
      { Authorization: `Bearer ${env.tokens.ann}` }]) {
      for (const v of [11, 12]) {
        const g = resultOf(await post(env.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.bob, ACC_A)), { headers }), v, 'GetUserProfile');
        assert.equal(textAt(g, 'Success'), 'true', JSON.stringify(headers));
        assert.equal(textAt(g, 'UserProfile/UserId'), IDS.bob, 'an admin reads a member');
        const gi = resultOf(await post(env.base, v, 'GetUserProfileImage', envelope(v, `<GetUserProfileImage xmlns="${AM}"/>`), { headers }), v, 'GetUserProfileImage');
        assert.equal(textAt(gi, 'Success'), 'true');
        const s = resultOf(await post(env.base, v, 'SetUserProfile', envelope(v, `<SetUserProfile xmlns="${AM}"><UserProfile>`
          + `<AccountId>${ACC_A}</AccountId><UserId>${IDS.ann}</UserId><ShowDocuSignID>true</ShowDocuSignID>`
          + '<DisplayCompanyAndTitle>true</DisplayCompanyAndTitle><DisplayAddressAndPhone>false</DisplayAddressAndPhone>'
          + '<DisplayUsageHistory>true</DisplayUsageHistory></UserProfile></SetUserProfile>'), { headers }), v, 'SetUserProfile');
        assert.equal(textAt(s, 'Success'), 'true');
      }
    }
  });

  it('every ErrorCode path answers inside the result', async () => {
    const bob = { Authorization: `Bearer ${env.tokens.bob}` };
    const ann = { Authorization: `Bearer ${env.tokens.ann}` };
    for (const v of [11, 12]) {
      const g = (body, headers = bob, op = 'GetUserProfile') => post(env.base, v, op, envelope(v, body), { headers });
      assertBusinessError(await g(getProfileBody('not-a-guid', ACC_A)), v, 'GetUserProfile', 'Invalid_User_ID');
      assertBusinessError(await g(getProfileBody('00000000-0000-4000-8000-0000000fffff', ACC_A), ann), v, 'GetUserProfile', 'Invalid_User_ID');
      assertBusinessError(await g(getProfileBody(IDS.bob, 'bad account')), v, 'GetUserProfile', 'Invalid_Account_ID');
      assertBusinessError(await g(`<GetUserProfile xmlns="${AM}"><UserId>${IDS.bob}</UserId></GetUserProfile>`), v, 'GetUserProfile', 'Invalid_Account_ID');
      assertBusinessError(await g(getProfileBody(IDS.ann, ACC_A)), v, 'GetUserProfile', 'Not_Authorized');
      assertBusinessError(await g(getProfileBody(IDS.bob, ACC_B)), v, 'GetUserProfile', 'Not_Authorized');
      assertBusinessError(await g(getProfileBody(IDS.bob, ACC_A), { Authorization: 'Bearer not.a.token' }), v, 'GetUserProfile', 'Invalid_Login');
      assertBusinessError(await g(getProfileBody(IDS.bob, ACC_A), {}), v, 'GetUserProfile', 'Partner_Authentication_Failed');
      assertBusinessError(await post(env.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.ann, ACC_A),
        { header: wsseHeader(`[${IKEY}]ann@acme.test`, 'wrong-password', { envPrefix: v === 12 ? 'soap12' : 'soap' }) })),
      v, 'GetUserProfile', 'Invalid_Login');
      assertBusinessError(await post(env.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.ann, ACC_A),
        { header: wsseHeader(`[no-such-key]ann@acme.test`, PASSWORDS.ann, { envPrefix: v === 12 ? 'soap12' : 'soap' }) })),
      v, 'GetUserProfile', 'Partner_Authentication_Failed');
      assertBusinessError(await post(env.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.ann, ACC_A),
        { header: wsseHeader('ann@acme.test', PASSWORDS.ann, { envPrefix: v === 12 ? 'soap12' : 'soap' }) })),
      v, 'GetUserProfile', 'Invalid_Login');                              // no [IntegratorKey]
      assertBusinessError(await post(env.base, v, 'GetUserProfile', envelope(v, getProfileBody(IDS.ann, ACC_A),
        { header: wsseHeader(`[${IKEY}]ann@acme.test`, 'digest==', { digest: true, envPrefix: v === 12 ? 'soap12' : 'soap' }) })),
      v, 'GetUserProfile', 'Invalid_Login');
      const up = (inner) => `<SetUserProfile xmlns="${AM}"><UserProfile><AccountId>${ACC_A}</AccountId><UserId>${IDS.bob}</UserId>${inner}</UserProfile></SetUserProfile>`;
      assertBusinessError(await g(up('<ShowDocuSignID>maybe</ShowDocuSignID>'), bob, 'SetUserProfile'), v, 'SetUserProfile', 'Invalid_Request');
      assertBusinessError(await g(up(`<Title>${'t'.repeat(101)}</Title>`), bob, 'SetUserProfile'), v, 'SetUserProfile', 'Invalid_Request');
      assertBusinessError(await g(`<SetUserProfile xmlns="${AM}"/>`, bob, 'SetUserProfile'), v, 'SetUserProfile', 'Invalid_Request');
      assertBusinessError(await g(`<SetUserProfile xmlns="${AM}"><UserProfile><AccountId>${ACC_A}</AccountId><UserId>${IDS.ann}</UserId></UserProfile></SetUserProfile>`,
        bob, 'SetUserProfile'), v, 'SetUserProfile', 'Not_Authorized');
      const img = (data) => `<SetUserProfileImage xmlns="${AM}"><UserProfileImage><Image><MimeType>image/png</MimeType><ImageData>${data}</ImageData></Image></UserProfileImage></SetUserProfileImage>`;
      assertBusinessError(await g(img(Buffer.from('not an image at all').toString('base64')), bob, 'SetUserProfileImage'), v, 'SetUserProfileImage', 'Invalid_File_Or_Too_Large');
      assertBusinessError(await g(img(makePng(79, 79, { padTo: 204800 }).toString('base64')), bob, 'SetUserProfileImage'), v, 'SetUserProfileImage', 'Invalid_File_Or_Too_Large');
      assertBusinessError(await g(img('!!!not base64!!!'), bob, 'SetUserProfileImage'), v, 'SetUserProfileImage', 'Invalid_File_Or_Too_Large');
      assertBusinessError(await g(`<SetUserProfileImage xmlns="${AM}"/>`, bob, 'SetUserProfileImage'), v, 'SetUserProfileImage', 'Invalid_Request');
      assertBusinessError(await g(`<GetUserProfileImage xmlns="${AM}"/>`, { Authorization: `Bearer ${env.tokens.dan}` }, 'GetUserProfileImage'),
        v, 'GetUserProfileImage', 'Unspecified_Error');                 // dan has no image
    }
  });

  it('faults for envelopes that cannot be processed, in the request\'s version', async () => {
    const auth = { Authorization: `Bearer ${env.tokens.ann}` };
    const cases = [
      ['not XML', 'this is not xml', 'Client', 'Sender'],
      ['wrong envelope namespace', `<e:Envelope xmlns:e="urn:not-soap"><e:Body>${getProfileBody(IDS.ann, ACC_A)}</e:Body></e:Envelope>`, 'VersionMismatch', 'VersionMismatch'],
      ['not an envelope', `<Body>${getProfileBody(IDS.ann, ACC_A)}</Body>`, 'Client', 'Sender'],
      ['no body', null, 'Client', 'Sender'],
      ['empty body', 'EMPTY', 'Client', 'Sender'],
      ['unknown operation', `<DoSomething xmlns="${AM}"/>`, 'Client', 'Sender'],
      ['unsupported operation', `<NewAccount xmlns="${AM}"><AccountName>x</AccountName></NewAccount>`, 'Client', 'Sender'],
      ['operation in another namespace', '<GetUserProfile xmlns="urn:other"/>', 'Client', 'Sender'],
      ['a mustUnderstand header not understood', 'MU', 'MustUnderstand', 'MustUnderstand'],
    ];
    for (const v of [11, 12]) {
      const p = v === 12 ? 'soap12' : 'soap';
      const ns = v === 12 ? NS12 : NS11;
      for (const [what, body, c11, c12] of cases) {
        let xml;
        if (body === null) xml = `<${p}:Envelope xmlns:${p}="${ns}"><${p}:Header/></${p}:Envelope>`;
        else if (body === 'EMPTY') xml = `<${p}:Envelope xmlns:${p}="${ns}"><${p}:Body/></${p}:Envelope>`;
        else if (body === 'MU') xml = envelope(v, `<Ping xmlns="${AM}"/>`, { header: `<x:Tx xmlns:x="urn:tx" ${p}:mustUnderstand="1">1</x:Tx>` });
        else if (body.startsWith('<') && !body.includes('Envelope') && !body.startsWith('<Body')) xml = envelope(v, body);
        else xml = body;
        const res = await post(env.base, v, null, xml, { headers: auth });
        assert.equal(res.status, v === 12 && c12 === 'Sender' ? 400 : 500, `${what} v${v}: ${res.status} ${res.text().slice(0, 200)}`);
        assert.match(res.headers.get('content-type'), v === 11 ? /^text\/xml/ : /^application\/soap\+xml/, what);
        const f = faultOf(res, v);
        assert.equal(f.code, v === 11 ? c11 : c12, `${what} v${v}: ${res.text()}`);
        assert.ok(f.text.length > 0);
        if (what === 'unsupported operation') assert.match(f.text, /NewAccount is not supported/);
      }
      // SOAPAction naming another operation than the body
      const mismatch = await rawHttp('POST', `${env.base}${PATH}`, {
        headers: v === 11 ? { 'Content-Type': 'text/xml', SOAPAction: `"${AM}/SetUserProfile"`, ...auth }
          : { 'Content-Type': `application/soap+xml; action="${AM}/SetUserProfile"`, ...auth },
        body: Buffer.from(envelope(v, getProfileBody(IDS.ann, ACC_A))),
      });
      assert.equal(faultOf(mismatch, v).code, v === 11 ? 'Client' : 'Sender');
    }
  });

  it('round trips: SOAP SetUserProfile -> REST (cache warmed first) and REST PUT -> SOAP GetUserProfile', async () => {
    const url = profileUrl(env.base, ACC_A, IDS.ann);
    const before = await http('GET', url, { token: env.tokens.ann });          // warms the REST cache
    assert.equal(before.status, 200);
    const auth = { Authorization: `Bearer ${env.tokens.ann}` };
    const set = await post(env.base, 11, 'SetUserProfile', envelope(11, `<SetUserProfile xmlns="${AM}"><UserProfile>`
      + `<AccountId>${ACC_A_NUMBER}</AccountId><UserId>${IDS.ann}</UserId><ShowDocuSignID>false</ShowDocuSignID>`
      + '<DisplayCompanyAndTitle>true</DisplayCompanyAndTitle><DisplayAddressAndPhone>true</DisplayAddressAndPhone>'
      + '<DisplayUsageHistory>false</DisplayUsageHistory><Company>Soap Corp &lt;1&gt;</Company><Title>Chief Soap</Title>'
      + '<Address><Address1>9 Wash Road</Address1><City>Lather</City><State>CA</State><Zip>90001</Zip><Country>US</Country></Address>'
      + '</UserProfile></SetUserProfile>'), { headers: auth });
    assert.equal(textAt(resultOf(set, 11, 'SetUserProfile'), 'Success'), 'true', set.text());
    const p = (await http('GET', url, { token: env.tokens.ann })).json();
    assert.equal(p.displayProfile, 'false');
    assert.equal(p.displayOrganizationInfo, 'true');
    assert.equal(p.displayPersonalInfo, 'true');
    assert.equal(p.displayUsageHistory, 'false');
    assert.equal(p.companyName, 'Soap Corp <1>');
    assert.equal(p.title, 'Chief Soap');
    assert.equal(p.address.address1, '9 Wash Road');
    assert.equal(p.address.city, 'Lather');
    assert.equal(p.address.stateOrProvince, 'CA');
    assert.equal(p.address.postalCode, '90001');
    assert.equal(p.address.phone, '+1 217 555 0101', 'absent SOAP fields keep their value');
    assert.notEqual(p.userProfileLastModifiedDate, before.json().userProfileLastModifiedDate);
    // REST -> SOAP, with SOAP's own cached answers warmed first (they are tagged like REST's)
    for (let i = 0; i < 4; i++) {
      const w = resultOf(await post(env.base, 12, 'GetUserProfile', envelope(12, getProfileBody(IDS.ann, ACC_A)), { headers: auth }), 12, 'GetUserProfile');
      assert.equal(textAt(w, 'UserProfile/Company'), 'Soap Corp <1>');
    }
    const put = await http('PUT', url, { token: env.tokens.ann, json: { companyName: 'Rest Inc', displayProfile: 'true',
      address: { postalCode: '10001', stateOrProvince: 'NY' } } });
    assert.equal(put.status, 200);
    const g = resultOf(await post(env.base, 12, 'GetUserProfile', envelope(12, getProfileBody(IDS.ann, ACC_A)), { headers: auth }), 12, 'GetUserProfile');
    assert.equal(textAt(g, 'UserProfile/Company'), 'Rest Inc');
    assert.equal(textAt(g, 'UserProfile/ShowDocuSignID'), 'true');
    assert.equal(textAt(g, 'UserProfile/Address/Zip'), '10001');
    assert.equal(textAt(g, 'UserProfile/Address/State'), 'NY');
    assert.equal(textAt(g, 'UserProfile/Title'), 'Chief Soap');
  });

  it('round trips of the image, byte-exact: SOAP -> REST (cache warmed first) and REST -> SOAP', async () => {
    const url = imageUrl(env.base, ACC_A, IDS.ann);
    const auth = { Authorization: `Bearer ${env.tokens.ann}` };
    const first = await http('GET', url, { token: env.tokens.ann });           // warms the REST cache
    assert.equal(first.status, 200);
    const gif = makeGif();
    const set = await post(env.base, 12, 'SetUserProfileImage', envelope(12, `<SetUserProfileImage xmlns="${AM}"><UserProfileImage><Image>`
      + `<MimeType>image/png</MimeType><ImageData>${gif.toString('base64')}</ImageData></Image></UserProfileImage></SetUserProfileImage>`),
    { headers: auth });
    assert.equal(textAt(resultOf(set, 12, 'SetUserProfileImage'), 'Success'), 'true');
    const got = await http('GET', url, { token: env.tokens.ann });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/gif', 'type from the bytes, not MimeType');
    assert.ok(got.body.equals(gif), 'REST serves the SOAP bytes');
    const png = makePng(79, 79, { seed: 42 });
    assert.equal((await http('PUT', url, { token: env.tokens.ann, headers: { 'Content-Type': 'image/png' }, body: png })).status, 200);
    const gi = resultOf(await post(env.base, 11, 'GetUserProfileImage', envelope(11, `<GetUserProfileImage xmlns="${AM}"/>`), { headers: auth }),
      11, 'GetUserProfileImage');
    assert.equal(textAt(gi, 'UserProfileImage/Image/MimeType'), 'image/png');
    assert.ok(Buffer.from(textAt(gi, 'UserProfileImage/Image/ImageData'), 'base64').equals(png), 'SOAP serves the REST bytes');
  });

  it('GET without ?WSDL and other methods answer without a crash', async () => {
    assert.equal((await http('GET', `${env.base}${PATH}`)).status, 200);
    assert.equal((await http('PUT', `${env.base}${PATH}`, { body: 'x' })).status, 405);
    assert.equal((await http('GET', `${env.base}/healthz`)).status, 200);
  });
});
