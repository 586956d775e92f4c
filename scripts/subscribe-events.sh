#!/bin/sh
# azd postdeploy hook: once the app is deployed its webhook answers Event Grid's validation handshake, so the ACS event
# subscription can be created. Provisions once more with HIROI_SUBSCRIBE_EVENTS=true, the first time only.
set -eu
if [ "$(azd env get-value HIROI_SUBSCRIBE_EVENTS 2>/dev/null || echo false)" != "true" ]; then
  azd env set HIROI_SUBSCRIBE_EVENTS true
  azd provision --no-prompt
fi
