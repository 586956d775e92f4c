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
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (data && data.csrfToken) csrf = data.csrfToken;
    if (data && data.session && data.session.csrfToken) csrf = data.session.csrfToken;
    return { ok: response.ok, status: response.status, data };
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
