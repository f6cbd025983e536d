// soap-client.test.mjs - node `soap` 1.13 clients, generated at run time
// from (a) the WSDL profiled serves and (b) DocuSign's own published WSDL
// (tests/integration/fixtures/specs, endpoint pointed at the test server), calling every
// operation over SOAP 1.1 and SOAP 1.2 with each credential form real
// DocuSign clients send: WS-Security UsernameToken ([IntegratorKey]email,
// PasswordText, mustUnderstand, Timestamp), X-DocuSign-Authentication
// (XML), and an OAuth Bearer token.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IDS, ACC_A, ROOT, SPECS_DIR, http, imageUrl } from './lib/server.mjs';
import { useLegacyTenant, IKEY, PASSWORDS, xmlCreds } from './lib/legacy.mjs';
import { makePng } from './lib/images.mjs';
import { PATH } from './lib/soap.mjs';

const require = createRequire(import.meta.url);
const soap = require('soap');

const SPEC_WSDL = path.join(SPECS_DIR, 'docusign-accountmanagement.wsdl');

const CREDS = {
  'WS-Security': (c) => c.setSecurity(new soap.WSSecurity(`[${IKEY}]ann@acme.test`, PASSWORDS.ann,
    { passwordType: 'PasswordText', hasTimeStamp: true, mustUnderstand: true })),
  'X-DocuSign-Authentication': (c) => c.addHttpHeader('X-DocuSign-Authentication',
    xmlCreds({ user: 'ann@acme.test', password: PASSWORDS.ann })),
  Bearer: (c, env) => c.setSecurity(new soap.BearerSecurity(env.tokens.ann)),
};

async function makeClient(env, wsdl, v12) {
  const opts = { forceSoap12Headers: v12 };
  if (wsdl === 'spec') opts.endpoint = `${env.base}${PATH}`;
  const c = await soap.createClientAsync(wsdl === 'spec' ? SPEC_WSDL : `${env.base}${PATH}?wsdl`, opts);
  if (wsdl === 'spec') c.setEndpoint(`${env.base}${PATH}`);
  return c;
}

const truthy = (x) => x === true || x === 'true';

describe('SOAP AccountManagement through node soap clients', () => {
  const env = useLegacyTenant();
  let round = 0;

  for (const wsdl of ['served', 'spec']) {
    for (const v12 of [false, true]) {
      for (const cred of Object.keys(CREDS)) {
        it(`${wsdl} WSDL, SOAP 1.${v12 ? 2 : 1}, ${cred}: every operation`, async () => {
          const c = await makeClient(env, wsdl, v12);
          CREDS[cred](c, env);
          round++;
          let lastRequest = '';
          c.on('request', (xml) => { lastRequest = xml; });

          const [ping] = await c.PingAsync({});
          assert.ok(truthy(ping.PingResult), JSON.stringify(ping));
          assert.ok(lastRequest.includes(v12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/'));

          const [g] = await c.GetUserProfileAsync({ UserId: IDS.ann, AccountId: ACC_A });
          const gr = g.GetUserProfileResult;
          assert.ok(truthy(gr.Success), JSON.stringify(g));
          assert.equal(gr.UserProfile.UserId, IDS.ann);
          assert.equal(gr.UserProfile.AccountId, ACC_A);
          assert.ok(gr.UserProfile.Address, 'Address present');
          assert.ok(gr.UserProfile.UsageHistory, 'UsageHistory present');

          const company = `Client ${wsdl} ${v12 ? 12 : 11} ${cred} ${round}`;
          const [s] = await c.SetUserProfileAsync({ UserProfile: {
            AccountId: ACC_A, UserId: IDS.ann, ShowDocuSignID: true, DisplayCompanyAndTitle: true,
            DisplayAddressAndPhone: false, DisplayUsageHistory: true, Company: company, Title: 'Via soap',
            Address: { Address1: '5 Client Way', City: 'Soapville', Zip: `9${round}` },
          } });
          assert.ok(truthy(s.SetUserProfileResult.Success), JSON.stringify(s));
          assert.ok(s.SetUserProfileResult.MembershipId);
          const [g2] = await c.GetUserProfileAsync({ UserId: IDS.ann, AccountId: ACC_A });
          assert.equal(g2.GetUserProfileResult.UserProfile.Company, company);
          assert.equal(g2.GetUserProfileResult.UserProfile.Address.Zip, `9${round}`);

          const png = makePng(7, 7, { seed: round });
          const [si] = await c.SetUserProfileImageAsync({ UserProfileImage: { Image: {
            MimeType: 'image/png', ImageData: png.toString('base64') } } });
          assert.ok(truthy(si.SetUserProfileImageResult.Success), JSON.stringify(si));
          assert.equal(si.SetUserProfileImageResult.UserId, IDS.ann);
          const [gi] = await c.GetUserProfileImageAsync({});
          const img = gi.GetUserProfileImageResult.UserProfileImage.Image;
          assert.equal(img.MimeType, 'image/png');
          assert.ok(Buffer.from(img.ImageData, 'base64').equals(png));
          const rest = await http('GET', imageUrl(env.base, ACC_A, IDS.ann), { token: env.tokens.ann });
          assert.ok(rest.body.equals(png), 'REST serves the same bytes');
        });
      }
    }
  }

  it('a business error reaches the client as Success=false with its ErrorCode', async () => {
    for (const wsdl of ['served', 'spec']) {
      const c = await makeClient(env, wsdl, false);
      CREDS.Bearer(c, { tokens: { ann: env.tokens.bob } });
      const [g] = await c.GetUserProfileAsync({ UserId: IDS.ann, AccountId: ACC_A });
      assert.ok(!truthy(g.GetUserProfileResult.Success));
      assert.equal(g.GetUserProfileResult.Error.ErrorCode, 'Not_Authorized');
    }
  });

  it('no password ever reaches the server log', () => {
    const log = env.server.stderr();
    for (const pw of Object.values(PASSWORDS)) assert.ok(!log.includes(pw), 'a password is in the log');
    assert.ok(log.includes('"route":"/api/3.0/accountmanagement.asmx"') || log.includes('accountmanagement.asmx'),
      'SOAP requests are logged by route');
  });

  it('an unsupported operation of DocuSign\'s WSDL is a SOAP fault the client reports', async () => {
    for (const v12 of [false, true]) {
      const c = await makeClient(env, 'spec', v12);
      CREDS.Bearer(c, env);
      await assert.rejects(c.GetAccountSettingsAsync({ AccountId: ACC_A }), (e) => {
        assert.match(JSON.stringify(e.root || e.body || e.message), /not supported/);
        return true;
      });
    }
  });
});
