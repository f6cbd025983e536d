// tests/integration/lib/xml.mjs - a tiny, strict-enough XML reader for tests.
//
// parseXml(text) returns the root element as {name, attrs, children, text}
// where name keeps any prefix ("i:nil"), attrs is a plain object, children
// the child elements in document order and text the concatenated character
// data directly inside the element (entities decoded).  It handles the XML
// declaration, comments, CDATA, self-closing tags and the five predefined
// entities plus numeric references; it rejects a DOCTYPE, mismatched tags
// and trailing garbage, which is all the tests need to check what profiled
// sends.  Nothing here is shared with the server.

const ENT = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(cp);
    }
    if (!(e in ENT)) throw new Error(`unknown entity ${m}`);
    return ENT[e];
  });
}

export function parseXml(text) {
  let i = 0;
  const s = text;
  const fail = (msg) => {
    throw new Error(`XML: ${msg} at offset ${i}: ${JSON.stringify(s.slice(i, i + 40))}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (i < s.length && /\s/.test(s[i])) i++;
      if (s.startsWith('<?', i)) {
        const e = s.indexOf('?>', i);
        if (e < 0) fail('unterminated processing instruction');
        i = e + 2;
      } else if (s.startsWith('<!--', i)) {
        const e = s.indexOf('-->', i);
        if (e < 0) fail('unterminated comment');
        i = e + 3;
      } else if (s.startsWith('<!DOCTYPE', i)) {
        fail('DOCTYPE not expected');
      } else {
        return;
      }
    }
  };
  const nameRe = /[A-Za-z_][\w.:-]*/y;
  const readName = () => {
    nameRe.lastIndex = i;
    const m = nameRe.exec(s);
    if (!m) fail('name expected');
    i = nameRe.lastIndex;
    return m[0];
  };
  const parseElement = () => {
    if (s[i] !== '<') fail('< expected');
    i++;
    const name = readName();
    const attrs = {};
    for (;;) {
      while (/\s/.test(s[i])) i++;
      if (s.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (s[i] === '>') {
        i++;
        break;
      }
      const an = readName();
      while (/\s/.test(s[i])) i++;
      if (s[i] !== '=') fail('= expected');
      i++;
      while (/\s/.test(s[i])) i++;
      const q = s[i];
      if (q !== '"' && q !== "'") fail('quote expected');
      const e = s.indexOf(q, i + 1);
      if (e < 0) fail('unterminated attribute');
      attrs[an] = decode(s.slice(i + 1, e));
      i = e + 1;
    }
    const children = [];
    let txt = '';
    for (;;) {
      if (i >= s.length) fail(`unterminated element <${name}>`);
      if (s.startsWith('</', i)) {
        i += 2;
        const close = readName();
        if (close !== name) fail(`</${close}> closes <${name}>`);
        while (/\s/.test(s[i])) i++;
        if (s[i] !== '>') fail('> expected');
        i++;
        return { name, attrs, children, text: txt };
      }
      if (s.startsWith('<!--', i)) {
        const e = s.indexOf('-->', i);
        if (e < 0) fail('unterminated comment');
        i = e + 3;
      } else if (s.startsWith('<![CDATA[', i)) {
        const e = s.indexOf(']]>', i);
        if (e < 0) fail('unterminated CDATA');
        txt += s.slice(i + 9, e);
        i = e + 3;
      } else if (s[i] === '<') {
        children.push(parseElement());
      } else {
        const e = s.indexOf('<', i);
        if (e < 0) fail('unterminated text');
        txt += decode(s.slice(i, e));
        i = e;
      }
    }
  };
  skipMisc();
  const root = parseElement();
  skipMisc();
  if (i !== s.length) fail('trailing content');
  return root;
}

/** First child element named `name` (local name match, prefix ignored). */
export function child(el, name) {
  return el.children.find((c) => local(c.name) === name);
}

/** All child elements named `name`. */
export function childrenNamed(el, name) {
  return el.children.filter((c) => local(c.name) === name);
}

/** Text of the element reached by a path of local names ("userDetails/firstName"). */
export function textAt(el, pathStr) {
  let cur = el;
  for (const p of pathStr.split('/')) {
    cur = cur && child(cur, p);
  }
  return cur ? cur.text : undefined;
}

export function local(n) {
  const k = n.indexOf(':');
  return k < 0 ? n : n.slice(k + 1);
}

/** Escapes text for building XML request bodies. */
export function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
