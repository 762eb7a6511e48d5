#!/usr/bin/env bash
# Builds a Node.js runtime image FROM scratch out of this host's own `node` binary and
# the shared libraries `ldd` lists for it (the dynamic loader included), for machines
# that cannot pull a base image. The result has node, its libraries, /tmp, and a
# passwd entry for the app's numeric user (10001); no shell, no package manager.
#
#   deploy/build-runtime-image.sh <image tag> [path to node]
#
# CONTAINER_ENGINE picks the CLI (default: podman if installed, else docker).
set -euo pipefail

tag="${1:?usage: build-runtime-image.sh <image tag> [path to node]}"
node_bin="$(readlink -f "${2:-$(command -v node)}")"
engine="${CONTAINER_ENGINE:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"

copy() { # copy <file>: the file (symlinks resolved) at its own path inside rootfs
  mkdir -p "$rootfs$(dirname "$1")"
  cp -L "$1" "$rootfs$1"
}

mkdir -p "$rootfs/usr/bin" "$rootfs/etc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp -L "$node_bin" "$rootfs/usr/bin/node"
# "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
while read -r lib; do copy "$lib"; done < <(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
mesh:x:10001:10001:mesh:/tmp:/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
mesh:x:10001:
GROUP

cat >"$context/Containerfile" <<'CONTAINERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENTRYPOINT ["/usr/bin/node"]
CONTAINERFILE

"$engine" build --quiet --tag "$tag" "$context" >/dev/null
echo "$tag: node $("$node_bin" --version) from $node_bin"
