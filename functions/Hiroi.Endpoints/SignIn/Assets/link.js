// The magic link's page. The token is in the fragment, which never reaches a server; opening the page (as mail scanners
// do) does nothing: only this button's POST uses the link.
'use strict';

(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', location.pathname);
  document.getElementById('use-link').addEventListener('click', async () => {
    const result = await hiroi.call('POST', '/auth/link/complete', { token });
    if (result.ok) location.assign('/console/signin');
    else hiroi.say(hiroi.problem(result));
  });
})();
