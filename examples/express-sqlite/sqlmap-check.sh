#!/usr/bin/env bash
# Runs sqlmap against app.js twice: without Rampart, where it must find every injection point,
# and under Rampart in block mode, where it must find none. Exits 1 when either expectation
# fails. Both apps listen on 127.0.0.1 only, and sqlmap is aimed at nothing else.
#
# Usage: ./sqlmap-check.sh   (needs sqlmap: apt-get install -y sqlmap, and a built agent)

set -euo pipefail
cd "$(dirname "$0")"

if ! command -v sqlmap >/dev/null; then
  echo "sqlmap not found. Install it with: apt-get install -y sqlmap" >&2
  exit 1
fi
if ! node -e 'require.resolve("rampart/register")' 2>/dev/null; then
  echo "rampart/register not found. Build the agent first: npm run build at the repository root." >&2
  exit 1
fi

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/rampart-sqlmap.XXXXXX")
events_file="$work_dir/events.jsonl"
app_pids=()

# Stops the apps this script started, by PID, on every exit path.
stop_apps() {
  for pid in "${app_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_apps EXIT
trap 'exit 130' INT TERM

# start_app unprotected|protected: starts app.js, under Rampart in block mode for "protected",
# waits up to 15 s for its listening line, and sets app_url.
start_app() {
  local name=$1
  local out="$work_dir/$name.stdout" err="$work_dir/$name.stderr"

  if [[ $name == protected ]]; then
    PORT=0 RAMPART_MODE=block RAMPART_EVENTS="$events_file" \
      node --require rampart/register app.js >"$out" 2>"$err" &
  else
    PORT=0 node app.js >"$out" 2>"$err" &
  fi
  local pid=$!
  app_pids+=("$pid")

  for _ in $(seq 150); do
    app_url=$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$out")
    [[ -n "$app_url" ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before listening. Its stderr:" >&2
      cat "$err" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not print its listening line within 15 s. Its stderr:" >&2
  cat "$err" >&2
  exit 1
}

start_app unprotected
unprotected_url=$app_url
start_app protected
protected_url=$app_url

echo "Without Rampart: $unprotected_url (PID ${app_pids[0]})"
echo "Under Rampart, block mode: $protected_url (PID ${app_pids[1]})"
echo "sqlmap $(sqlmap --version 2>/dev/null | head -n 1), logs in $work_dir"
echo

failures=0

# scan SIDE LABEL URL [sqlmap options...]: runs sqlmap on one injection point, prints its verdict
# line, and counts a failure unless the verdict matches the side's expectation.
scan() {
  local side=$1 label=$2 url=$3
  shift 3
  local log="$work_dir/$side-${label// /-}.log"

  # Level 2 makes sqlmap test cookies. The app returns 401 for a wrong login, and sqlmap would
  # otherwise stop at the first one.
  local status=0
  timeout 900 sqlmap -u "$url" "$@" --batch --flush-session --level=2 --risk=1 \
    --ignore-code=401 --output-dir="$work_dir/sqlmap" >"$log" 2>&1 || status=$?

  local verdict
  if grep -q "sqlmap identified the following injection point" "$log"; then
    verdict=injectable
  elif grep -q "do not appear to be injectable" "$log"; then
    verdict=not-injectable
  else
    verdict="no verdict (sqlmap exit status $status)"
  fi

  local expected=injectable
  [[ $side == protected ]] && expected=not-injectable
  local result=OK
  if [[ $verdict != "$expected" ]]; then
    result=FAIL
    failures=$((failures + 1))
  fi

  printf '%-12s %-18s %-16s expected %-16s %s\n' "$side" "$label" "$verdict" "$expected" "$result"
  grep -E "identified the following injection point|do not appear to be injectable|^\s+Type: |HTTP error codes|^[0-9]{3} \(" "$log" |
    sed 's/^/    | /' || true
  if [[ $result == FAIL && $verdict == no* ]]; then
    echo "    last lines of $log:"
    tail -n 15 "$log" | sed 's/^/    | /'
  fi
}

for side in unprotected protected; do
  base=$unprotected_url
  [[ $side == protected ]] && base=$protected_url

  scan "$side" "query name" "$base/users?name=alice"
  scan "$side" "path id" "$base/users/2*"
  scan "$side" "POST login" "$base/login" --data "name=alice&password=wonderland"
  scan "$side" "cookie session" "$base/me" --cookie "session=alice-session-token" -p session
  scan "$side" "header X-Api-Key" "$base/api/account" -H "X-Api-Key: bob-api-key*"
done

blocked_events=$(grep -c '"action":"blocked"' "$events_file" 2>/dev/null || true)
echo
echo "Rampart logged ${blocked_events:-0} blocked events to $events_file"

if ((failures > 0)); then
  echo "FAIL: $failures sqlmap verdict(s) did not match the expectation."
  exit 1
fi
echo "PASS: sqlmap found injections only in the app without Rampart."
