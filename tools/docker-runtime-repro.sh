#!/usr/bin/env bash
# Reproduces the Dockerfile's runtime stage without a Docker engine, then proves the
# gateway answers GET /healthz from that production-only install.
#
#   1. copy package.json, package-lock.json, dist/ and policy/ to a temp dir (as the
#      runtime stage's COPY lines do); app files stay owned by the invoking user (root in
#      the image), read-only for the runtime user;
#   2. `npm ci --omit=dev --ignore-scripts` there, and check no devDependency got in;
#   3. start `node dist/main.js` with NODE_ENV=production, a generated 0600 clients file,
#      GATEWAY_DATA_DIR in the temp dir and PORT on a free port, as uid/gid 65532 (the
#      image's USER) via setpriv when running as root, otherwise as the current user;
#   4. poll /healthz; exit 0 only if it answered 200. The server and temp dir are always
#      cleaned up.
# Needs `npm run build` first (dist/main.js). Uses the npm cache (--prefer-offline).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

[ -f dist/main.js ] || { echo "repro: dist/main.js missing; run npm run build first" >&2; exit 1; }
[ -d policy ] || { echo "repro: policy/ missing" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/codex-runtime-repro.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

app="$tmp/app"
data="$tmp/data"
mkdir -p "$app" "$data"
cp "$repo/package.json" "$repo/package-lock.json" "$app/"
cp -R "$repo/dist" "$repo/policy" "$app/"

echo "repro: production install in $app"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)

# No devDependency may be present in the production install.
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync(process.argv[1] + "/package.json", "utf8"));
  const leaked = Object.keys(pkg.devDependencies || {}).filter((d) => fs.existsSync(process.argv[1] + "/node_modules/" + d));
  if (leaked.length) { console.error("repro: devDependencies installed: " + leaked.join(", ")); process.exit(1); }
  console.log("repro: no devDependency installed (" + Object.keys(pkg.devDependencies || {}).length + " checked)");
' "$app"

# A clients file in the docs/protocol.md §1 format, since production mode refuses dev clients.
node -e '
  const c = require("crypto");
  const key = c.randomBytes(24).toString("hex");
  const doc = { clients: [{ id: "repro", apiKeySha256: c.createHash("sha256").update(key).digest("hex"),
    signingSecrets: [c.randomBytes(32).toString("hex")], scopes: ["audit:read"] }] };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(doc), { mode: 0o600 });
' "$tmp/clients.json"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

run_as=()
if [ "$(id -u)" = "0" ] && command -v setpriv >/dev/null 2>&1; then
  chmod 0755 "$tmp"
  chown -R 65532:65532 "$data"
  chown 65532:65532 "$tmp/clients.json"
  chmod 0700 "$data"
  if setpriv --reuid=65532 --regid=65532 --clear-groups test -r "$app/dist/main.js"; then
    run_as=(setpriv --reuid=65532 --regid=65532 --clear-groups)
    if setpriv --reuid=65532 --regid=65532 --clear-groups test -w "$app/dist/main.js"; then
      echo "repro: FAIL app files are writable by the runtime user" >&2; exit 1
    fi
    echo "repro: starting as uid/gid 65532 (the image's USER) via setpriv; app files read-only for it"
  else
    echo "repro: temp dir not readable by uid 65532; starting as current user $(id -un) instead"
  fi
else
  echo "repro: not root (or no setpriv); starting as current user $(id -un) (uid $(id -u))"
fi

log="$tmp/server.log"
(
  cd "$app"
  exec env -i PATH="$PATH" HOME="$data" NODE_ENV=production HOST=127.0.0.1 PORT="$port" \
    GATEWAY_DATA_DIR="$data" GATEWAY_CLIENTS_FILE="$tmp/clients.json" \
    GATEWAY_POLICY_FILE=policy/policy.json LOG_LEVEL=warn \
    "${run_as[@]}" node dist/main.js
) >"$log" 2>&1 &
server_pid=$!

# One poller with a 20 s deadline; it stops early if the server process has exited.
status=$(node -e '
  const [port, pid] = process.argv.slice(1);
  const deadline = Date.now() + 20000;
  let last = "none";
  const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
  (async () => {
    while (Date.now() < deadline && alive()) {
      try {
        const r = await fetch("http://127.0.0.1:" + port + "/healthz", { signal: AbortSignal.timeout(2000) });
        last = String(r.status);
        if (r.status === 200) break;
      } catch { last = "down"; }
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(last);
  })();' "$port" "$server_pid")

if [ "$status" != "200" ]; then
  echo "repro: FAIL /healthz did not answer 200 (last: ${status:-none}); server output:" >&2
  sed -e 's/^/  | /' "$log" >&2
  exit 1
fi
uid=$(awk '/^Uid:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo "?")
echo "repro: OK GET /healthz -> 200 on 127.0.0.1:$port (server uid $uid, production-only install)"
