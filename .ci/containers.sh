# Sourced by .ci/run: makes the container tests runnable on a machine with no Docker
# engine and no reachable image registry.
# - installs podman, runc, netavark and aardvark-dns (the network backend whose DNS
#   answers a network alias with every container's address) and iptables (netavark's
#   firewall driver);
# - writes a containers.conf that works in this sandbox (no default ulimits, runc,
#   cgroupfs, netavark) and starts `podman system service` on a private socket (its
#   PID is recorded; it is stopped by that PID at exit);
# - builds the runtime image FROM scratch out of the host's node and the app image
#   on top (deploy/build-images.sh), tagged by this run;
# - exports DOCKER_HOST, CONTAINERS_CONF, TESTCONTAINERS_RYUK_DISABLED and
#   MESH_APP_IMAGE for the test run.
# At exit, also on failure: the containers and networks labelled with this run, the
# images and the service are removed.
# A machine that already has a Docker engine (DOCKER_HOST set or /var/run/docker.sock)
# is used as it is: only the images are built.

mesh_ct_dir="$(mktemp -d /tmp/mesh-containers.XXXXXX)"
mesh_ct_owner="ci-$$"
mesh_ct_service_pid=""
mesh_ct_engine=""
mesh_ct_runtime=""

mesh_ct_cleanup() {
  if [ -n "$mesh_ct_engine" ]; then
    for kind in container network; do
      ids="$($mesh_ct_engine "$kind" ls -q --filter "label=mesh.test.owner=$mesh_ct_owner" 2>/dev/null || true)"
      [ -z "$ids" ] || $mesh_ct_engine "$kind" rm -f $ids >/dev/null 2>&1 || true
    done
    [ -z "$mesh_ct_runtime" ] || $mesh_ct_engine rmi -f "$MESH_APP_IMAGE" "$mesh_ct_runtime" >/dev/null 2>&1 || true
  fi
  if [ -n "$mesh_ct_service_pid" ]; then
    kill "$mesh_ct_service_pid" 2>/dev/null || true
    wait "$mesh_ct_service_pid" 2>/dev/null || true
  fi
  rm -rf "$mesh_ct_dir"
}
trap mesh_ct_cleanup EXIT

step "containers (podman, runtime and app images)"
if [ -n "${DOCKER_HOST:-}" ] || [ -S /var/run/docker.sock ]; then
  mesh_ct_engine=docker
else
  need=()
  for pkg in podman runc netavark aardvark-dns iptables; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  cat >"$mesh_ct_dir/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"

[network]
network_backend = "netavark"
CONF
  export CONTAINERS_CONF="$mesh_ct_dir/containers.conf"
  podman system service --time=0 "unix://$mesh_ct_dir/podman.sock" >"$mesh_ct_dir/service.log" 2>&1 &
  mesh_ct_service_pid=$!
  for _ in $(seq 100); do [ -S "$mesh_ct_dir/podman.sock" ] && break; sleep 0.1; done
  [ -S "$mesh_ct_dir/podman.sock" ] || { cat "$mesh_ct_dir/service.log"; exit 1; }
  export DOCKER_HOST="unix://$mesh_ct_dir/podman.sock"
  mesh_ct_engine=podman
fi
export TESTCONTAINERS_RYUK_DISABLED=true
export MESH_TEST_OWNER="$mesh_ct_owner"
pnpm build
mesh_ct_runtime="localhost/mct-runtime:$mesh_ct_owner"
export MESH_APP_IMAGE="localhost/mct-app:$mesh_ct_owner"
CONTAINER_ENGINE="$mesh_ct_engine" deploy/build-images.sh "$mesh_ct_runtime" "$MESH_APP_IMAGE"
