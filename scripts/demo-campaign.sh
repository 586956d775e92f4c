#!/usr/bin/env bash
# A 1,000-contact SMS campaign through the ACS simulator, against a running ./run (http://localhost:7071):
# creates an org, a sender number and a list, imports the contacts, starts the campaign and prints its progress
# until it completes, then counts what the simulator sent.
# Usage: scripts/demo-campaign.sh [contacts=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
base=http://localhost:7071
contacts=${1:-1000}
curl -fs "$base/healthz" >/dev/null || { echo "start ./run first" >&2; exit 1; }

# Contacts are placed in a time zone where it is daytime now, so the quiet-hours rule lets the campaign run.
zone=""
for z in America/New_York America/Los_Angeles Pacific/Honolulu Europe/London Europe/Berlin Asia/Dubai Asia/Kolkata Asia/Tokyo Australia/Sydney; do
  hour=$(TZ=$z date +%-H)
  if (( hour >= 9 && hour < 19 )); then zone=$z; break; fi
done
[[ -n $zone ]] || { echo "no candidate zone is in daytime now" >&2; exit 1; }

key=$(dotnet functions/Hiroi.Server/bin/Debug/net10.0/Hiroi.Server.dll org create "Demo $(date +%s)" --owner demo@example.com --json \
  | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $key")
sender="+1555$(printf '%07d' $((RANDOM * 30 + RANDOM % 30)))"
curl -fs "${auth[@]}" -H 'content-type: application/json' -d "{\"number\":\"$sender\"}" "$base/api/numbers" >/dev/null
list=$(curl -fs "${auth[@]}" -H 'content-type: application/json' -d '{"name":"Demo customers"}' "$base/api/lists" | sed -E 's/.*"id":"([^"]+)".*/\1/')
{ echo "phone,name,timezone,sms_consent"; for i in $(seq 1 "$contacts"); do printf '+1646%07d,Customer %d,%s,yes\n' "$((2000000 + i))" "$i" "$zone"; done; } \
  | curl -fs "${auth[@]}" -H 'content-type: text/csv' --data-binary @- "$base/api/lists/$list/contacts"; echo
campaign=$(curl -fs "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"name\":\"Demo\",\"channel\":\"sms\",\"listId\":\"$list\",\"senderNumbers\":[\"$sender\"],\"message\":\"Hello from the demo. Reply STOP to opt out.\",\"outcomeTimeoutSeconds\":60}" \
  "$base/api/campaigns" | sed -E 's/.*"id":"([^"]+)".*/\1/')
curl -fs "${auth[@]}" -X POST "$base/api/campaigns/$campaign/start" >/dev/null
echo "campaign $campaign started ($contacts contacts in $zone, sender $sender)"
start=$(date +%s)
while true; do
  body=$(curl -fs "${auth[@]}" "$base/api/campaigns/$campaign")
  state=$(sed -E 's/.*"state":"([^"]+)".*/\1/' <<<"$body")
  echo "$(( $(date +%s) - start ))s $state $(sed -E 's/.*"byState":(\{[^}]*\}).*/\1/' <<<"$body")"
  [[ $state == running ]] || break
  sleep 2
done
sent=$(curl -fs "$base/simulate/sent-sms" | grep -o "\"from\":\"$sender\"" | wc -l)
echo "simulator sent $sent SMS from $sender"
