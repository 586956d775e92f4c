// The sign-in page: email link or code then the second factor and the org, as the session's "next" asks.
'use strict';

(() => {
  const { call, session, show, say, problem } = hiroi;
  const steps = ['email-step', 'code-step', 'totp-step', 'org-step', 'ready-step'];
  const only = (id) => steps.forEach((step) => show(step, step === id));

  function render(current) {
    if (!current) { only('email-step'); return; }
    if (current.next === 'secondFactor') { only('totp-step'); say('Enter the code from your authenticator app.'); return; }
    if (current.next === 'chooseOrg') {
      only('org-step');
      const list = document.getElementById('orgs');
      list.replaceChildren(...current.orgs.map((org) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = org.name + ' (' + org.role + ')';
        button.dataset.org = org.orgId;
        button.addEventListener('click', () => choose(org.orgId));
        item.append(button);
        return item;
      }));
      say(current.orgs.length ? 'Choose the organization to work in.' : 'Your account belongs to no organization.');
      return;
    }
    only('ready-step');
    const org = current.orgs.find((o) => o.orgId === current.orgId);
    document.getElementById('org-name').textContent = org ? org.name : current.orgId;
    document.getElementById('role').textContent = current.role;
    say('Signed in.');
  }

  async function choose(orgId) {
    const result = await call('POST', '/auth/session/org', { orgId });
    if (result.ok) render(result.data); else say(problem(result));
  }

  async function askFor(kind) {
    const email = document.getElementById('email').value;
    const result = await call('POST', '/auth/' + kind, { email });
    if (!result.ok) { say(problem(result)); return; }
    if (kind === 'code') { show('code-step', true); say('If the address has an account, a code is on its way.'); }
    else say('If the address has an account, a sign-in link is on its way. Open it in this browser.');
  }

  document.getElementById('send-link').addEventListener('click', () => askFor('link'));
  document.getElementById('send-code').addEventListener('click', () => askFor('code'));
  document.getElementById('verify-code').addEventListener('click', async () => {
    const result = await call('POST', '/auth/code/complete', { email: document.getElementById('email').value, code: document.getElementById('code').value });
    if (result.ok) render(result.data); else say(problem(result));
  });
  document.getElementById('verify-totp').addEventListener('click', async () => {
    const result = await call('POST', '/auth/totp/verify', { code: document.getElementById('totp').value });
    if (result.ok) render(result.data); else say(problem(result));
  });
  document.getElementById('passkey').addEventListener('click', async () => {
    try {
      const result = await hiroiPasskeys.signIn();
      if (result.ok) render(result.data); else say(problem(result));
    } catch (error) {
      say('The passkey prompt was closed or failed: ' + error.message);
    }
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    await call('DELETE', '/auth/session');
    render(null);
    say('Signed out.');
  });

  // Entra ID sends the browser back here; a refusal says why in the fragment (never in a query a server logs).
  const entraError = { '#error=entra': 'Microsoft sign-in did not complete. Try again.', '#error=entra-unknown': 'That Microsoft account is not a member here: ask an admin to invite your work email.' }[location.hash];
  if (entraError) { history.replaceState(null, '', location.pathname); say(entraError); }
  session().then(render);
})();
