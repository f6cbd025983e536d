/*
 * page.c - the live page at /_profiled/ (behind the same secret as the
 * rest of the control API: HTTP Basic with the secret as password, which
 * the browser then sends with the page's own requests).  It shows the
 * request journal (polled every second, filterable by path, status and
 * caller) and the active fault rules.  The script is its own resource so
 * the Content-Security-Policy allows no inline script; everything from the
 * journal is put on the page as text, never as markup.  Static data only.
 */
#include "control/internal.h"

#include <string.h>

#define CSP "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; " \
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

static const char page_html[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>profiled control</title>\n"
    "<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}.err{color:#b00}.fault{background:#fff3cd}code{font-size:12px}"
    "input{margin-right:1em}</style>\n"
    "</head><body>\n<h1>profiled control</h1>\n"
    "<p id=\"status\">connecting…</p>\n"
    "<h2>Fault rules</h2>\n<table id=\"rules\"><thead><tr><th>id</th><th>match</th><th>action</th>"
    "<th>remaining</th><th>hits</th></tr></thead><tbody></tbody></table>\n"
    "<h2>Request journal</h2>\n<p><label>path <input id=\"f-path\"></label>"
    "<label>status <input id=\"f-status\" size=\"4\"></label>"
    "<label>caller <input id=\"f-caller\"></label></p>\n"
    "<table id=\"journal\"><thead><tr><th>id</th><th>time</th><th>method</th><th>path</th><th>status</th>"
    "<th>ms</th><th>caller</th><th>trace</th><th>headers</th></tr></thead><tbody></tbody></table>\n"
    "<script src=\"/_profiled/page.js\"></script>\n</body></html>\n";

static const char page_js[] =
    "'use strict';\n"
    "const $ = (id) => document.getElementById(id);\n"
    "function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text;"
    " if (cls) td.className = cls; tr.appendChild(td); return td; }\n"
    "async function get(path) { const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });"
    " if (!r.ok) throw new Error(path + ': ' + r.status); return r.json(); }\n"
    "function query() { const q = new URLSearchParams({ limit: '200' });"
    " for (const k of ['path', 'status', 'caller']) { const v = $('f-' + k).value.trim(); if (v) q.set(k, v); }"
    " return q.toString(); }\n"
    "async function rules() { const d = await get('/_profiled/faults'); const tb = $('rules').tBodies[0];"
    " tb.replaceChildren(); for (const r of d.rules) { const tr = document.createElement('tr');"
    " tr.dataset.id = r.id; cell(tr, String(r.id));"
    " cell(tr, [r.method, r.path, r.route, r.userId && 'user ' + r.userId, r.accountId && 'account ' + r.accountId]"
    ".filter(Boolean).join(' ') || 'every request');"
    " cell(tr, [r.error && r.error + ' ' + r.status, r.latencyMs && '+' + r.latencyMs + ' ms', r.drop && 'drop',"
    " r.percent < 100 && r.percent + ' %'].filter(Boolean).join(', '));"
    " cell(tr, r.remaining === undefined ? 'until cleared' : String(r.remaining)); cell(tr, String(r.hits));"
    " tb.appendChild(tr); } }\n"
    "async function journal() { const d = await get('/_profiled/journal?' + query()); const tb = $('journal').tBodies[0];"
    " tb.replaceChildren(); for (const e of d.entries) { const tr = document.createElement('tr');"
    " tr.dataset.id = e.id; if (e.fault) tr.className = 'fault'; cell(tr, String(e.id)); cell(tr, e.time);"
    " cell(tr, e.method); cell(tr, e.path + (e.query ? '?' + e.query : ''));"
    " cell(tr, String(e.status), e.status >= 400 ? 'err' : ''); cell(tr, e.durationMs.toFixed(1));"
    " cell(tr, e.caller || ''); cell(tr, e.trace);"
    " const h = cell(tr, ''); const c = document.createElement('code');"
    " c.textContent = Object.entries(e.headers).map(([k, v]) => k + ': ' + v).join('\\n'); h.appendChild(c);"
    " tb.appendChild(tr); }"
    " $('status').textContent = d.entries.length + ' of the last ' + d.capacity + ' requests shown, updated '"
    " + new Date().toLocaleTimeString(); }\n"
    "async function tick() { try { await Promise.all([rules(), journal()]); } catch (err) {"
    " $('status').textContent = 'error: ' + err.message; } }\n"
    "for (const k of ['path', 'status', 'caller']) $('f-' + k).addEventListener('input', tick);\n"
    "tick(); setInterval(tick, 1000);\n";

static void static_answer(pd_request *r, const char *ctype, const char *body, size_t len)
{
    if (!control_gate(r))
        return;
    resp_copy(r, 200, ctype, body, len);
    resp_header(r, "Content-Security-Policy", CSP);
    resp_header(r, "X-Content-Type-Options", "nosniff");
    resp_header(r, "X-Frame-Options", "DENY");
    resp_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

void h_control_page(pd_server *srv, pd_request *r)
{
    (void)srv;
    static_answer(r, "text/html; charset=utf-8", page_html, sizeof(page_html) - 1);
}

void h_control_page_js(pd_server *srv, pd_request *r)
{
    (void)srv;
    static_answer(r, "text/javascript; charset=utf-8", page_js, sizeof(page_js) - 1);
}
