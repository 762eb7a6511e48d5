#!/usr/bin/env bash
# Builds the runtime image (FROM scratch, the host's node) and the example app's image
# on top of it, from a built work tree (`pnpm build` first).
#
#   deploy/build-images.sh <runtime tag> <app tag>
#
# RUNTIME_IMAGE, if set, is used as the base instead of building one from the host.
set -euo pipefail

runtime_tag="${1:?usage: build-images.sh <runtime tag> <app tag>}"
app_tag="${2:?usage: build-images.sh <runtime tag> <app tag>}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
engine="${CONTAINER_ENGINE:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}"

if [ ! -f "$root/scripts/dist/app-node.js" ]; then
  echo "scripts/dist/app-node.js is missing: run pnpm build first" >&2
  exit 1
fi

if [ -z "${RUNTIME_IMAGE:-}" ]; then
  "$here/build-runtime-image.sh" "$runtime_tag"
  RUNTIME_IMAGE="$runtime_tag"
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
# The app and its production dependencies only (workspace packages copied, not linked).
(cd "$root" && pnpm --silent --filter @mesh/scripts deploy --prod --legacy "$context/app" >/dev/null)
rm -rf "$context/app/src" "$context/app/tsconfig.json" "$context/app/tsconfig.tsbuildinfo"

"$engine" build --quiet --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" --file "$here/Containerfile" \
  --tag "$app_tag" "$context/app" >/dev/null
echo "$app_tag: on $RUNTIME_IMAGE"
