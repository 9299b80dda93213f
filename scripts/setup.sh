#!/usr/bin/env bash
# Installs what the stand-ins and the tests need on a fresh Debian machine:
# npm packages, podman (Docker API), the registry, htpasswd, busybox (the
# sample app's base image) and moto. Safe to run again; skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pair in podman:podman runc:runc docker-registry:docker-registry htpasswd:apache2-utils busybox:busybox-static ss:iproute2 ; do
  bin=${pair%%:*}; pkg=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || need_apt+=("$pkg")
done
# Debian's PostgreSQL server (no pgvector) is the stand-in for a database without the extension.
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v moto_server >/dev/null 2>&1; then
  echo "setup: installing moto (python3 -m pip install 'moto[server]')"
  python3 -m pip install --quiet 'moto[server]>=5.1,<6' || {
    echo "setup: could not install moto. Install it with: python3 -m pip install 'moto[server]'" >&2
    exit 1
  }
fi

if [ ! -d node_modules ] || [ npm-shrinkwrap.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
echo "setup: done"
