// tests/integration/lib/soap.mjs - raw SOAP for the integration tests:
// envelopes of both versions (any prefix), the WS-Security header DocuSign's
// PHP and .NET samples send, a POST helper and a reader for answers.
import { rawHttp } from './server.mjs';
import { parseXml, child, local } from './xml.mjs';

export const AM = 'http://www.docusign.net/API/AccountManagement';
export const NS11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const NS12 = 'http://www.w3.org/2003/05/soap-envelope';
export const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const PATH = '/api/3.0/accountmanagement.asmx';

/** An envelope: v 11|12, body (the operation element's XML), header XML, prefix. */
export function envelope(v, body, { header = '', prefix } = {}) {
  const p = prefix || (v === 12 ? 'soap12' : 'soap');
  const ns = v === 12 ? NS12 : NS11;
  return '<?xml version="1.0" encoding="utf-8"?>\n'
    + `<${p}:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:${p}="${ns}">`
    + (header ? `<${p}:Header>${header}</${p}:Header>` : '')
    + `<${p}:Body>${body}</${p}:Body></${p}:Envelope>`;
}

/** wsse:Security with a UsernameToken ([IntegratorKey]email, PasswordText), a Timestamp. */
export function wsseHeader(username, password, { mustUnderstand = true, envPrefix = 'soap', digest = false } = {}) {
  const now = new Date();
  const exp = new Date(now.getTime() + 300_000);
  const type = digest ? 'PasswordDigest' : 'PasswordText';
  return `<wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}"${mustUnderstand ? ` ${envPrefix}:mustUnderstand="1"` : ''}>`
    + `<wsu:Timestamp wsu:Id="TS-1"><wsu:Created>${now.toISOString()}</wsu:Created><wsu:Expires>${exp.toISOString()}</wsu:Expires></wsu:Timestamp>`
    + `<wsse:UsernameToken wsu:Id="UT-1"><wsse:Username>${username}</wsse:Username>`
    + `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#${type}">${password}</wsse:Password>`
    + '</wsse:UsernameToken></wsse:Security>';
}

/** WS-Addressing headers as .NET sends them. */
export function wsaHeaders(op, to, envPrefix = 'soap') {
  return `<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing" ${envPrefix}:mustUnderstand="1">${AM}/${op}</wsa:Action>`
    + '<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:uuid:2f0c0a3e-0000-4000-8000-000000000001</wsa:MessageID>'
    + `<wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing" ${envPrefix}:mustUnderstand="1">${to}</wsa:To>`;
}

/** POSTs an envelope: v 11 (text/xml + SOAPAction) or 12 (application/soap+xml; action=). */
export function post(base, v, op, xml, { headers = {}, path = PATH, action = true } = {}) {
  const h = v === 12
    ? { 'Content-Type': `application/soap+xml; charset=utf-8${action && op ? `; action="${AM}/${op}"` : ''}` }
    : { 'Content-Type': 'text/xml; charset=utf-8', ...(action && op ? { SOAPAction: `"${AM}/${op}"` } : {}) };
  return rawHttp('POST', `${base}${path}`, { headers: { ...h, ...headers }, body: Buffer.from(xml) });
}

/** The Body's first element of an answer, after checking the envelope version. */
export function bodyOf(res, v) {
  const env = parseXml(res.text());
  const ns = v === 12 ? NS12 : NS11;
  const p = env.name.includes(':') ? env.name.split(':')[0] : '';
  if (local(env.name) !== 'Envelope' || env.attrs[`xmlns:${p}`] !== ns) {
    throw new Error(`not a SOAP ${v === 12 ? '1.2' : '1.1'} envelope: ${res.text().slice(0, 300)}`);
  }
  const body = child(env, 'Body');
  return body.children[0];
}

/** The <OpResult> of an answer. */
export function resultOf(res, v, op) {
  const r = bodyOf(res, v);
  if (local(r.name) !== `${op}Response`) throw new Error(`expected ${op}Response: ${res.text().slice(0, 400)}`);
  return child(r, `${op}Result`);
}

/** Fault code (local name of the QName) and text. */
export function faultOf(res, v) {
  const f = bodyOf(res, v);
  if (local(f.name) !== 'Fault') throw new Error(`expected a Fault: ${res.text().slice(0, 400)}`);
  if (v === 12) {
    return { code: local(child(child(f, 'Code'), 'Value').text), text: child(child(f, 'Reason'), 'Text').text };
  }
  return { code: local(child(f, 'faultcode').text), text: child(f, 'faultstring').text };
}

export const getProfileBody = (uid, acc) => `<GetUserProfile xmlns="${AM}"><UserId>${uid}</UserId><AccountId>${acc}</AccountId></GetUserProfile>`;
