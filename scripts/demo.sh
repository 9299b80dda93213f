#!/usr/bin/env bash
# Quick start: sets up this machine, starts the local stand-ins (moto for AWS,
# podman for Docker, a registry for ECR, PGlite for Postgres, and the sample
# app's container standing in for the Fargate task), and deploys the sample
# app in fixtures/sample-app with the same command a user runs: every step
# through first-boot, which must pass. Then it runs the command again to show
# that an unchanged deploy changes nothing. Stand-ins stop at the end
# (KEEP_STANDINS=1 keeps them and prints their environment).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
bash scripts/setup.sh

dir="$(pwd)/.standins"
rm -rf "$dir" && mkdir -p "$dir"
eval "$(node scripts/standins.mjs start "$dir")"
stop() { [ "${KEEP_STANDINS:-}" = 1 ] || node "$root/scripts/standins.mjs" stop "$dir"; }
trap stop EXIT

# The published bundle (scripts/bundle.mjs), as `npx deploy-wizard` runs it.
cli="$root/bundle/cli.js"
# The sample app bakes its version in through a build arg read from the environment.
export SAMPLE_APP_VERSION="${SAMPLE_APP_VERSION:-1.0.0}"
cd fixtures/sample-app
echo
echo "== deploy-wizard deploy --non-interactive   (in fixtures/sample-app)"
node "$cli" deploy --non-interactive
echo
echo "== the same command again: every step should report unchanged"
node "$cli" deploy --non-interactive
echo
echo "== deploy-wizard plan"
node "$cli" plan
if [ "${KEEP_STANDINS:-}" = 1 ]; then
  echo; echo "Stand-ins still running. To use them:"; node -e "const e=require('$dir/env.json').env;for(const[k,v]of Object.entries(e))console.log(\`export \${k}='\${v}'\`)"
  echo "Stop them with: node $root/scripts/standins.mjs stop $dir"
fi
