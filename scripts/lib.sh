# Shared by ./run and ./test: tool checks, Azurite install and start. Sourced, not executed.

require_tools() {
  command -v dotnet >/dev/null || { echo "The .NET SDK (dotnet) is required: https://dot.net" >&2; exit 1; }
  command -v node >/dev/null && command -v npm >/dev/null || { echo "Node.js and npm are required (for Azurite)." >&2; exit 1; }
}

# Installs Azurite at the version pinned in package-lock.json, once.
ensure_node_modules() {
  if [ ! -x node_modules/.bin/azurite ]; then
    echo "Installing Azurite from package-lock.json..."
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_azurite DATA_DIR BLOB_PORT QUEUE_PORT TABLE_PORT LOG_FILE: starts Azurite in the background on loopback, sets
# AZURITE_PID, and waits until all three services answer.
start_azurite() {
  local dir=$1 blob=$2 queue=$3 table=$4 log=$5
  node_modules/.bin/azurite --silent --skipApiVersionCheck --loose --disableProductStyleUrl --disableTelemetry \
    --location "$dir" --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" >"$log" 2>&1 &
  AZURITE_PID=$!
  for _ in $(seq 1 100); do
    if port_open "$blob" && port_open "$queue" && port_open "$table"; then return 0; fi
    if ! kill -0 "$AZURITE_PID" 2>/dev/null; then echo "Azurite failed to start; see $log" >&2; cat "$log" >&2; exit 1; fi
    sleep 0.2
  done
  echo "Azurite did not answer within 20 s; see $log" >&2
  exit 1
}

# The connection string for an Azurite on the given ports (the account key is Azurite's public, well-known dev key).
azurite_connection_string() {
  local blob=$1 queue=$2 table=$3
  local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
}

# find_garnet: sets GARNET_DLL to Microsoft's Garnet (a Redis-protocol server; the garnet-server tool pinned in
# dotnet-tools.json, restored on first use). Run as its own dll, not 'dotnet tool run' (which would leave the server
# orphaned when its pid is killed).
find_garnet() {
  dotnet tool restore >/dev/null
  local version packages
  version=$(node -p "require('./dotnet-tools.json').tools['garnet-server'].version")
  packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
  GARNET_DLL="$packages/garnet-server/$version/tools/net10.0/any/GarnetServer.dll"
}

# start_garnet PORT LOG_FILE: starts Garnet (find_garnet) on loopback with Lua on, sets GARNET_PID and GARNET_DLL, and
# waits until it answers. The rate limits, failure counters and key revocations share it as they would Azure Managed Redis.
start_garnet() {
  local port=$1 log=$2
  find_garnet
  dotnet "$GARNET_DLL" \
    --port "$port" --bind 127.0.0.1 --lua true -q -m 256m -i 16m >"$log" 2>&1 &
  GARNET_PID=$!
  for _ in $(seq 1 150); do
    if port_open "$port"; then return 0; fi
    if ! kill -0 "$GARNET_PID" 2>/dev/null; then echo "Garnet failed to start; see $log" >&2; cat "$log" >&2; exit 1; fi
    sleep 0.2
  done
  echo "Garnet did not answer within 30 s; see $log" >&2
  exit 1
}

# Debian's chromium for the browser tests (Playwright drives it; its own browser download cannot work here). Installed
# with apt when missing and we may (root, or passwordless sudo). Sets CHROMIUM_PATH, empty when there is none.
ensure_chromium() {
  CHROMIUM_PATH=""
  for candidate in /usr/lib/chromium/chromium /usr/bin/chromium; do
    if [ -x "$candidate" ]; then CHROMIUM_PATH=$candidate; return 0; fi
  done
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else echo "chromium is missing and apt is not allowed here; browser tests will fail." >&2; return 0; fi
  fi
  echo "Installing Debian's chromium for the browser tests..."
  if $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; then
    [ -x /usr/lib/chromium/chromium ] && CHROMIUM_PATH=/usr/lib/chromium/chromium || CHROMIUM_PATH=/usr/bin/chromium
  else
    echo "Could not install chromium with apt; browser tests will fail." >&2
  fi
}

# --- Load runs and benchmarks (scripts/bench*.sh) ---

# bench_flags "$@": reads the leading flags every bench script takes, then the caller does shift "$BENCH_SHIFT".
# --smoke: a seconds-long run with tiny counts (./test runs each one so, so none breaks unnoticed); --no-build: the
# caller built (HIROI_BENCH_CONFIGURATION, Release by default).
bench_flags() {
  SMOKE=0 BUILD=1 BENCH_SHIFT=0
  for arg in "$@"; do
    case $arg in
      --smoke) SMOKE=1 ;;
      --no-build) BUILD=0 ;;
      *) break ;;
    esac
    BENCH_SHIFT=$((BENCH_SHIFT + 1))
  done
  CONFIGURATION=${HIROI_BENCH_CONFIGURATION:-Release}
  SERVER_DLL=functions/Hiroi.Server/bin/$CONFIGURATION/net10.0/Hiroi.Server.dll
  BENCH_DLL=tests/Hiroi.Benchmarks/bin/$CONFIGURATION/net10.0/Hiroi.Benchmarks.dll
}

# bench_build PROJECT...: builds the projects unless --no-build was given.
bench_build() {
  if [ "$BUILD" -eq 1 ]; then
    for project in "$@"; do dotnet build -c "$CONFIGURATION" --nologo -v quiet "$project" >/dev/null; done
  fi
}

# free_port: a port nothing listens on now (asked of the OS, so two runs side by side never pick the same one).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# bench_storage DIR: the Azurite of the load run: the one ./test started when a test runs the smoke (HIROI_TEST_STORAGE),
# else one of its own on free ports. Sets BENCH_STORAGE, and AZURITE_PID when it started one.
bench_storage() {
  AZURITE_PID=""
  if [ -n "${HIROI_TEST_STORAGE:-}" ]; then BENCH_STORAGE=$HIROI_TEST_STORAGE; return 0; fi
  local blob queue table
  blob=$(free_port) queue=$(free_port) table=$(free_port)
  start_azurite "$1" "$blob" "$queue" "$table" "$1/azurite.log"
  BENCH_STORAGE=$(azurite_connection_string "$blob" "$queue" "$table")
}

# wait_ready URL LOG PID: waits until the server answers /readyz, up to two minutes (a busy machine starts slowly), and
# fails at once if it exits.
wait_ready() {
  local url=$1 log=$2 pid=$3 until=$((SECONDS + 120))
  until curl -fs "$url/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "The server exited while starting; see $log" >&2; cat "$log" >&2; exit 1; fi
    if [ "$SECONDS" -gt "$until" ]; then echo "The server did not get ready within two minutes; see $log" >&2; cat "$log" >&2; exit 1; fi
    sleep 0.2
  done
}

# ensure_wrk: wrk for the HTTP load runs, from Debian's packages when missing (as ./test installs chromium); returns 1
# when it cannot be had.
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else echo "wrk is needed (apt-get install wrk)" >&2; return 1; fi
  fi
  echo "Installing wrk from Debian's packages..."
  { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1; }; } \
    || { echo "wrk is needed (apt-get install wrk)" >&2; return 1; }
}

# stop_pid PID: stops a process this script started, if it started one, and waits for it to go.
stop_pid() {
  if [ -n "${1:-}" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}

# export_voice_bench URL: the self-host's settings for a voice load run at URL: the ACS simulator playing ACS (its
# callbacks signed, a speech endpoint so agents talk), fresh keys, the local model priced, and limits out of the way.
export_voice_bench() {
  local url=$1
  key() { openssl rand -base64 32; }
  export Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Hiroi__RateLimits__Enabled=false \
    Hiroi__AcsSimulator__Enabled=true Hiroi__AcsSimulator__WebhookUrl="$url/api/eventgrid/acs" \
    Hiroi__Acs__Endpoint="$url" Hiroi__Acs__AccessKey="$(key)" Hiroi__Acs__CallbackAuth__Audience=bench-acs \
    Hiroi__Acs__CallbackAuth__OpenIdConfigurationUrl="$url/calling/.well-known/acsopenidconfiguration" \
    Hiroi__EventGrid__WebhookSecret=bench-webhook-secret Hiroi__Calls__PublicBaseUrl="$url" \
    Hiroi__Calls__CognitiveServicesEndpoint=https://speech.bench.test/ Hiroi__Calls__CallbackSigningKeys="c1:$(key)" \
    Hiroi__Recordings__KeyEncryptionKeys="k1:$(key)" Hiroi__Privacy__SubjectKey="$(key)" Hiroi__TenantSecrets__KeyEncryptionKeys="t1:$(key)" \
    Hiroi__Voice__MaxConcurrentCallsPerOrg=1000 Hiroi__Voice__CallsPerCallerPerHour=1000 \
    Hiroi__Ai__Models__local__InputUsdPerMillionTokens=1 Hiroi__Ai__Models__local__OutputUsdPerMillionTokens=3
}
