// image.test.mjs - profile image upload (raw and multipart), download (bytes,
// base64, ETag/304), delete, format detection from the bytes and the size
// limits.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  useTenant, http, rawHttp, assertError, getProfile, imageUrl, PREFIXES, IDS, USERS, ACC_A, ACC_A_NUMBER,
} from './lib/server.mjs';
import { makePng, makeGif, makeJpeg, makeBmp, multipart } from './lib/images.mjs';

const require = createRequire(import.meta.url);
const docusign = require('docusign-esign');

describe('profile image', () => {
  const env = useTenant();
  let base;
  let tok;
  const url = (prefix, acc = ACC_A) => imageUrl(base, acc, IDS.ann, prefix);

  const upload = (bytes, contentType, { prefix, token = tok, acc } = {}) =>
    rawHttp('PUT', url(prefix, acc), {
      headers: { Authorization: `Bearer ${token}`, ...(contentType ? { 'Content-Type': contentType } : {}) },
      body: bytes,
    });

  async function uploadOk(bytes, contentType, opts) {
    const r = await upload(bytes, contentType, opts);
    assert.equal(r.status, 200, `upload (${contentType}, ${bytes.length} bytes): ${r.status} ${r.text().slice(0, 300)}`);
    return r;
  }

  async function download(prefix, headers = {}) {
    return http('GET', url(prefix), { token: tok, headers });
  }

  async function assertServed(bytes, mime, prefix) {
    const r = await download(prefix);
    assert.equal(r.status, 200, `GET image: ${r.status} ${r.text().slice(0, 300)}`);
    assert.equal(r.headers.get('content-type').split(';')[0].trim(), mime);
    assert.ok(r.body.equals(bytes), `served bytes differ (${r.body.length} vs ${bytes.length})`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('cache-control') || '', /private/);
    assert.ok(r.headers.get('etag'), 'ETag present');
    return r;
  }

  before(async () => {
    base = env.base;
    tok = env.tokens.ann;
  });

  it('the imported image is served; once deleted → 404 PROFILE_IMAGE_NOT_FOUND, no profileImageUri', async () => {
    await assertServed(Buffer.from(USERS.ann.profileImage.data, 'base64'), 'image/png');
    const del = await http('DELETE', url(), { token: tok });
    assert.equal(del.status, 200, `DELETE: ${del.status} ${del.text()}`);
    assertError(await download(), 404, 'PROFILE_IMAGE_NOT_FOUND');
    // a user who never had one
    assertError(await http('GET', imageUrl(base, ACC_A, IDS.dan), { token: env.tokens.dan }), 404, 'PROFILE_IMAGE_NOT_FOUND');
    const p = await getProfile(base, tok, ACC_A, IDS.ann);
    assert.equal(p.profileImageUri, undefined);
    assert.equal(p.userDetails.profileImageUri, undefined);
    assertError(await http('DELETE', url(), { token: tok }), 404, 'PROFILE_IMAGE_NOT_FOUND');
  });

  it('a real 79×79 PNG uploaded raw is served byte-identical as image/png', async () => {
    const png = makePng(79, 79);
    await uploadOk(png, 'image/png');
    await assertServed(png, 'image/png');
  });

  it('the format comes from the bytes, not the Content-Type sent', async () => {
    const png = makePng(79, 79, { seed: 7 });
    await uploadOk(png, 'image/gif');
    await assertServed(png, 'image/png');
    const gif = makeGif();
    await uploadOk(gif, 'application/octet-stream');
    await assertServed(gif, 'image/gif');
    const jpeg = makeJpeg();
    await uploadOk(jpeg, 'image/png');
    await assertServed(jpeg, 'image/jpeg');
    const bmp = makeBmp(3, 2);
    await uploadOk(bmp, 'image/jpeg');
    await assertServed(bmp, 'image/bmp');
  });

  for (const [name, make, mime] of [
    ['GIF', makeGif, 'image/gif'],
    ['JPEG', makeJpeg, 'image/jpeg'],
    ['BMP', () => makeBmp(2, 2), 'image/bmp'],
    ['PNG', () => makePng(79, 79, { seed: 3 }), 'image/png'],
  ]) {
    it(`${name} uploaded with its own content type round-trips on every prefix`, async () => {
      const bytes = make();
      await uploadOk(bytes, mime);
      for (const p of PREFIXES) await assertServed(bytes, mime, p);
    });
  }

  it('multipart/form-data: the first file part is the image', async () => {
    const png = makePng(79, 79, { seed: 11 });
    const mp = multipart([
      { name: 'description', data: 'my picture' },
      { name: 'file', filename: 'me.png', type: 'image/png', data: png },
    ]);
    await uploadOk(mp.body, mp.contentType);
    await assertServed(png, 'image/png');
  });

  it('multipart/form-data built by fetch FormData', async () => {
    const gif = makeGif();
    const fd = new FormData();
    fd.append('image', new Blob([gif], { type: 'image/gif' }), 'me.gif');
    const r = await http('PUT', url(), { token: tok, body: fd });
    assert.equal(r.status, 200, `${r.status} ${r.text()}`);
    await assertServed(gif, 'image/gif');
  });

  it('ETag + If-None-Match → 304 with no body; a new image gets a new ETag', async () => {
    const png = makePng(79, 79, { seed: 21 });
    await uploadOk(png, 'image/png');
    const r = await assertServed(png, 'image/png');
    const etag = r.headers.get('etag');
    const r304 = await download(undefined, { 'If-None-Match': etag });
    assert.equal(r304.status, 304);
    assert.equal(r304.body.length, 0);
    const r200 = await download(undefined, { 'If-None-Match': '"not-the-etag"' });
    assert.equal(r200.status, 200);
    assert.ok(r200.body.equals(png));
    const other = makePng(79, 79, { seed: 22 });
    await uploadOk(other, 'image/png');
    const r2 = await assertServed(other, 'image/png');
    assert.notEqual(r2.headers.get('etag'), etag);
    assert.equal((await download(undefined, { 'If-None-Match': etag })).status, 200);
  });

  it('?encoding=base64 decodes to the same bytes', async () => {
    const png = makePng(79, 79, { seed: 31 });
    await uploadOk(png, 'image/png');
    const r = await http('GET', `${url()}?encoding=base64`, { token: tok });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    const text = r.text().trim();
    assert.match(text, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.ok(Buffer.from(text, 'base64').equals(png));
  });

  it('profileImageUri appears after upload, points at the image, and goes after DELETE', async () => {
    const gif = makeGif();
    await uploadOk(gif, 'image/gif');
    for (const p of ['/restapi/v2.1', '/restapi/v2']) {
      const prof = await getProfile(base, tok, ACC_A, IDS.ann, p);
      assert.ok(prof.profileImageUri, `${p}: profileImageUri present`);
      assert.ok(prof.profileImageUri.endsWith(`/accounts/${ACC_A}/users/${IDS.ann}/profile/image`),
        `${p}: ${prof.profileImageUri}`);
      const r = await http('GET', new URL(prof.profileImageUri, base).href, { token: tok });
      assert.equal(r.status, 200, `fetching profileImageUri ${prof.profileImageUri}`);
      assert.ok(r.body.equals(gif));
    }
    // reachable by account number too
    const byNum = await http('GET', url(undefined, String(ACC_A_NUMBER)), { token: tok });
    assert.ok(byNum.body.equals(gif));

    const del = await http('DELETE', url(), { token: tok });
    assert.equal(del.status, 200, `DELETE: ${del.status} ${del.text()}`);
    assertError(await download(), 404, 'PROFILE_IMAGE_NOT_FOUND');
    const prof = await getProfile(base, tok, ACC_A, IDS.ann);
    assert.equal(prof.profileImageUri, undefined);
    assert.equal(prof.userDetails.profileImageUri, undefined);
    assertError(await http('DELETE', url(), { token: tok }), 404, 'PROFILE_IMAGE_NOT_FOUND');
  });

  it('DELETE with a {} JSON body (as the SDK sends it) is tolerated', async () => {
    await uploadOk(makeGif(), 'image/gif');
    const r = await http('DELETE', url(), {
      token: tok, headers: { 'Content-Type': 'application/json', 'X-DocuSign-SDK': 'Node' }, body: '{}',
    });
    assert.equal(r.status, 200, `${r.status} ${r.text()}`);
    assertError(await download(), 404, 'PROFILE_IMAGE_NOT_FOUND');
  });

  it('the SDK getProfileImage (Accept: image/gif) is served whatever the format', async () => {
    const png = makePng(79, 79, { seed: 41 });
    await uploadOk(png, 'image/png');
    const client = new docusign.ApiClient();
    client.setBasePath(`${base}/restapi`);
    client.addDefaultHeader('Authorization', `Bearer ${tok}`);
    const data = await new docusign.UsersApi(client).getProfileImage(ACC_A, IDS.ann);
    assert.ok(data !== undefined && data !== null);
  });

  it('text renamed as an image → 400 INVALID_PROFILE_IMAGE, previous image kept', async () => {
    const png = makePng(79, 79, { seed: 51 });
    await uploadOk(png, 'image/png');
    const before = await assertServed(png, 'image/png');
    for (const [bytes, ct] of [
      [Buffer.from('this is just some text pretending to be a picture\n'), 'image/png'],
      [Buffer.from('GIF8 but not really a gif'), 'image/gif'],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 1]), 'image/png'], // truncated PNG
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
      [Buffer.from('%PDF-1.4 not an image'), 'application/octet-stream'],
    ]) {
      const r = await upload(bytes, ct);
      assertError(r, 400, 'INVALID_PROFILE_IMAGE', `${ct} ${JSON.stringify(bytes.toString('latin1').slice(0, 20))}`);
      const still = await assertServed(png, 'image/png');
      assert.equal(still.headers.get('etag'), before.headers.get('etag'));
    }
  });

  it('empty upload → 400 INVALID_PROFILE_IMAGE, previous image kept', async () => {
    const png = makePng(79, 79, { seed: 52 });
    await uploadOk(png, 'image/png');
    const r = await http('PUT', url(), { token: tok, headers: { 'Content-Type': 'image/png' }, body: Buffer.alloc(0) });
    assertError(r, 400, 'INVALID_PROFILE_IMAGE');
    await assertServed(png, 'image/png');
  });

  it('application/json {} as an image → 415 INVALID_CONTENT_TYPE or 400 INVALID_PROFILE_IMAGE', async () => {
    const png = makePng(79, 79, { seed: 54 });
    await uploadOk(png, 'image/png');
    const r = await upload(Buffer.from('{}'), 'application/json');
    if (r.status === 415) assertError(r, 415, 'INVALID_CONTENT_TYPE');
    else assertError(r, 400, 'INVALID_PROFILE_IMAGE');
    await assertServed(png, 'image/png');
  });

  it('a multipart body without a file part → 400 INVALID_PROFILE_IMAGE', async () => {
    const png = makePng(79, 79, { seed: 53 });
    await uploadOk(png, 'image/png');
    const mp = multipart([{ name: 'description', data: 'no file here' }]);
    const r = await upload(mp.body, mp.contentType);
    assertError(r, 400, 'INVALID_PROFILE_IMAGE');
    await assertServed(png, 'image/png');
  });

  it('size limit: 204799 bytes accepted, exactly 204800 → 413 PROFILE_IMAGE_TOO_LARGE', async () => {
    const okPng = makePng(79, 79, { padTo: 204799, seed: 61 });
    assert.equal(okPng.length, 204799);
    await uploadOk(okPng, 'image/png');
    await assertServed(okPng, 'image/png');

    const bigPng = makePng(79, 79, { padTo: 204800, seed: 62 });
    assert.equal(bigPng.length, 204800);
    assertError(await upload(bigPng, 'image/png'), 413, 'PROFILE_IMAGE_TOO_LARGE');
    await assertServed(okPng, 'image/png');

    const okBmp = makeBmp(4, 4, { padTo: 204799 });
    await uploadOk(okBmp, 'image/bmp');
    await assertServed(okBmp, 'image/bmp');
    assertError(await upload(makeBmp(4, 4, { padTo: 204800 }), 'image/bmp'), 413, 'PROFILE_IMAGE_TOO_LARGE');
    await assertServed(okBmp, 'image/bmp');
  });

  it('size limit applies to the image inside multipart, not to the framing', async () => {
    const okPng = makePng(79, 79, { padTo: 204799, seed: 63 });
    const mp = multipart([{ name: 'file', filename: 'big.png', type: 'image/png', data: okPng }]);
    assert.ok(mp.body.length > 204800);
    await uploadOk(mp.body, mp.contentType);
    await assertServed(okPng, 'image/png');
    const big = multipart([{ name: 'file', filename: 'big.png', type: 'image/png', data: makePng(79, 79, { padTo: 204800 }) }]);
    assertError(await upload(big.body, big.contentType), 413, 'PROFILE_IMAGE_TOO_LARGE');
    await assertServed(okPng, 'image/png');
  });

  it('a 1 MB body (Expect: 100-continue) → 413 REQUEST_ENTITY_TOO_LARGE before it is sent', async () => {
    const png = makePng(79, 79, { seed: 71 });
    await uploadOk(png, 'image/png');
    const huge = makePng(79, 79, { padTo: 1024 * 1024 });
    const r = await rawHttp('PUT', url(), {
      headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'image/png' }, body: huge, expectContinue: true,
    });
    assertError(r, 413, 'REQUEST_ENTITY_TOO_LARGE');
    assert.equal(r.continued, false, 'the server asked for the body (100 Continue) instead of refusing it');
    await assertServed(png, 'image/png');
  });

  it('a plain client uploading 8 MB gets the 413 answer, not a connection reset', async () => {
    const png = makePng(79, 79, { seed: 72 });
    await uploadOk(png, 'image/png');
    const huge = makePng(79, 79, { padTo: 8 * 1024 * 1024 });
    for (let i = 0; i < 3; i++) {
      assertError(await upload(huge, 'image/png'), 413, 'REQUEST_ENTITY_TOO_LARGE', `attempt ${i + 1}:`);
    }
    await assertServed(png, 'image/png');
  });
});
