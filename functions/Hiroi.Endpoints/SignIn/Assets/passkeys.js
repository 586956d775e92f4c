// Passkey ceremonies for the console pages: the server's WebAuthn options (JSON, binary fields base64url) go to
// navigator.credentials, and the credential comes back as JSON in the same encoding.
'use strict';

const hiroiPasskeys = (() => {
  const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)), (c) => c.charCodeAt(0));
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const withoutNulls = (value) => JSON.parse(JSON.stringify(value, (key, v) => (v === null ? undefined : v)));

  function creation(options) {
    const o = withoutNulls(options);
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = (o.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    return o;
  }

  function request(options) {
    const o = withoutNulls(options);
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = (o.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    return o;
  }

  function created(credential) {
    const r = credential.response;
    return {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type, clientExtensionResults: credential.getClientExtensionResults(),
      response: { attestationObject: toText(r.attestationObject), clientDataJSON: toText(r.clientDataJSON), transports: r.getTransports ? r.getTransports() : [] },
    };
  }

  function asserted(credential) {
    const r = credential.response;
    return {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type, clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        authenticatorData: toText(r.authenticatorData), clientDataJSON: toText(r.clientDataJSON), signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null,
      },
    };
  }

  async function register(name) {
    const start = await hiroi.call('POST', '/auth/passkeys');
    if (!start.ok) return start;
    const credential = await navigator.credentials.create({ publicKey: creation(start.data.options) });
    return hiroi.call('POST', '/auth/passkeys/complete', { flowId: start.data.flowId, name, credential: created(credential) });
  }

  async function signIn() {
    const start = await hiroi.call('POST', '/auth/passkeys/sign-in');
    if (!start.ok) return start;
    const credential = await navigator.credentials.get({ publicKey: request(start.data.options) });
    return hiroi.call('POST', '/auth/passkeys/sign-in/complete', { flowId: start.data.flowId, credential: asserted(credential) });
  }

  return { register, signIn };
})();
