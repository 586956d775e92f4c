// The security page: TOTP on and off (with recovery codes), passkeys, and the person's own sessions.
'use strict';

(() => {
  const { call, session, show, say, problem } = hiroi;

  async function load() {
    const current = await session();
    if (!current || current.next !== 'ready') { location.assign('/console/signin'); return; }
    const totpOn = current.totpEnabled;
    document.getElementById('totp-state').textContent = totpOn ? 'On.' : 'Off.';
    show('totp-enrol', !totpOn);
    show('totp-off', totpOn);
    await loadPasskeys();
    await loadSessions();
  }

  async function loadPasskeys() {
    const result = await call('GET', '/auth/passkeys');
    if (!result.ok) { say(problem(result)); return; }
    document.getElementById('passkeys').replaceChildren(...result.data.map((p) => {
      const item = document.createElement('li');
      item.textContent = p.name + ' (added ' + new Date(p.createdAt).toLocaleDateString() + ') ';
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Remove';
      remove.addEventListener('click', async () => { const r = await call('DELETE', '/auth/passkeys/' + encodeURIComponent(p.id)); say(r.ok ? 'Passkey removed.' : problem(r)); loadPasskeys(); });
      item.append(remove);
      return item;
    }));
  }

  async function loadSessions() {
    const result = await call('GET', '/auth/sessions');
    if (!result.ok) { say(problem(result)); return; }
    document.getElementById('sessions').replaceChildren(...result.data.map((s) => {
      const item = document.createElement('li');
      item.textContent = (s.current ? 'This session' : s.userAgent || 'Unknown browser') + ', signed in by ' + s.method + ' at ' + new Date(s.createdAt).toLocaleString() + ' ';
      if (!s.current) {
        const revoke = document.createElement('button');
        revoke.type = 'button';
        revoke.textContent = 'Revoke';
        revoke.addEventListener('click', async () => { const r = await call('DELETE', '/auth/sessions/' + encodeURIComponent(s.id)); say(r.ok ? 'Session revoked.' : problem(r)); loadSessions(); });
        item.append(revoke);
      }
      return item;
    }));
  }

  document.getElementById('passkey-add').addEventListener('click', async () => {
    try {
      const result = await hiroiPasskeys.register(document.getElementById('passkey-name').value);
      say(result.ok ? 'Passkey added.' : problem(result));
    } catch (error) {
      say('The passkey prompt was closed or failed: ' + error.message);
    }
    loadPasskeys();
  });
  document.getElementById('totp-enrol').addEventListener('click', async () => {
    const result = await call('POST', '/auth/totp/enrolment');
    if (!result.ok) { say(problem(result)); return; }
    document.getElementById('totp-qr').src = 'data:image/svg+xml;base64,' + btoa(result.data.qrCodeSvg);
    document.getElementById('totp-secret').textContent = result.data.secret;
    show('totp-enrolment', true);
  });
  document.getElementById('totp-confirm').addEventListener('click', async () => {
    const result = await call('POST', '/auth/totp/enrolment/confirm', { code: document.getElementById('totp-confirm-code').value });
    if (!result.ok) { say(problem(result)); return; }
    show('totp-enrolment', false);
    show('recovery', true);
    document.getElementById('recovery-codes').replaceChildren(...result.data.recoveryCodes.map((code) => { const li = document.createElement('li'); li.textContent = code; return li; }));
    say('Two-factor authentication is on.');
    document.getElementById('totp-state').textContent = 'On.';
    show('totp-enrol', false);
  });
  document.getElementById('totp-disable').addEventListener('click', async () => {
    const result = await call('POST', '/auth/totp/disable', { code: document.getElementById('totp-disable-code').value });
    say(result.ok ? 'Two-factor authentication is off.' : problem(result));
    if (result.ok) load();
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    await call('DELETE', '/auth/session');
    location.assign('/console/signin');
  });

  load();
})();
