// Shared by the console pages: JSON calls to the sign-in API with the session's CSRF token, and small DOM helpers.
// No inline script anywhere: the pages' CSP allows scripts from this origin only.
'use strict';

const hiroi = (() => {
  let csrf = null;

  async function call(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
    const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await parse(response);
    if (data && data.csrfToken) csrf = data.csrfToken;
    if (data && data.session && data.session.csrfToken) csrf = data.session.csrfToken;
    return { ok: response.ok, status: response.status, data };
  }

  // A proxy or gateway may answer in HTML or plain text: such an answer has no data, only its status.
  async function parse(response) {
    const text = await response.text();
    if (!text || !/json/i.test(response.headers.get('Content-Type') || '')) return null;
    try { return JSON.parse(text); } catch { return null; }
  }

  async function session() {
    const result = await call('GET', '/auth/session');
    return result.ok ? result.data : null;
  }

  function show(id, visible) { document.getElementById(id).hidden = !visible; }

  function say(text) { document.getElementById('status').textContent = text; }

  function problem(result) { return (result.data && (result.data.detail || result.data.title)) || ('Request failed (' + result.status + ')'); }

  return { call, session, show, say, problem };
})();
