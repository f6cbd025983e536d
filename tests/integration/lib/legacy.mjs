// tests/integration/lib/legacy.mjs - DocuSign's legacy credentials for the
// integration tests (eSignature REST and SOAP): the tenant fixture plus one
// imported integration whose key is the IntegratorKey, and the header in
// its XML and JSON forms.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, after } from 'node:test';
import { setupTenant, importFile, tempDir, TENANT } from './server.mjs';

export const IKEY = '7d2a1c30-5b1e-4c6f-9a0d-1e6a7a1e0001';
export const PASSWORDS = Object.fromEntries(TENANT.users.filter((u) => u.password)
  .map((u) => [u.email.split('@')[0], u.password]));   // { ann: ..., bob: ... }

/** Imports the integration IKEY into dbUrl. */
export function importIntegration(dbUrl, key = IKEY) {
  const file = path.join(tempDir(), 'integration.json');
  writeFileSync(file, JSON.stringify({
    format: 'profiled-import', version: 1,
    integrations: [{ integrationKey: key, name: 'Legacy App', allowedScopes: 'signature',
      redirectUris: ['http://127.0.0.1:9/cb'] }],
  }));
  importFile(dbUrl, file);
}

/** useTenant() plus the integration (imported before the server starts). */
export function useLegacyTenant(opts = {}) {
  const env = {};
  before(async () => {
    Object.assign(env, await setupTenant(opts));
    importIntegration(env.db.url);
  });
  after(async () => {
    if (env.teardown) await env.teardown();
  });
  return env;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The XML form; prefix: '' (none), 'ds' (prefixed, namespaced) or 'default' (default namespace). */
export function xmlCreds({ user, password, key = IKEY, sobo, prefix = '' }) {
  const ns = 'http://www.docusign.com/API/3.0';
  const p = prefix && prefix !== 'default' ? `${prefix}:` : '';
  const decl = prefix === 'default' ? ` xmlns="${ns}"` : prefix ? ` xmlns:${prefix}="${ns}"` : '';
  return `<${p}DocuSignCredentials${decl}><${p}Username>${esc(user)}</${p}Username>`
    + `<${p}Password>${esc(password)}</${p}Password><${p}IntegratorKey>${esc(key)}</${p}IntegratorKey>`
    + (sobo ? `<${p}SendOnBehalfOf>${esc(sobo)}</${p}SendOnBehalfOf>` : '')
    + `</${p}DocuSignCredentials>`;
}

/** The JSON form. */
export function jsonCreds({ user, password, key = IKEY, sobo }) {
  return JSON.stringify({ Username: user, Password: password, IntegratorKey: key,
    ...(sobo ? { SendOnBehalfOf: sobo } : {}) });
}
