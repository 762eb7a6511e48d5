#!/usr/bin/env bash
# CI: make the host lab of test-cluster work (network namespaces, veth, a bridge, nftables
# with numgen), check it once, and remove what an earlier, killed run may have left.
# Called by .ci/run; the host scenarios themselves skip (or fail under MESH_REQUIRE_ALL=1)
# when this cannot be done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "netns: not root; the host-lab scenarios will not run"
  exit 0
fi
# Load the kernel modules if they are modules here (built in, or a container: nothing to do).
if command -v modprobe >/dev/null 2>&1; then
  for module in veth bridge nf_tables nft_numgen; do modprobe -q "$module" 2>/dev/null || true; done
fi
probe="mtc-ci-$$"
trap 'ip netns del "$probe" 2>/dev/null || true' EXIT
ip netns add "$probe"
ip -n "$probe" link add p0 type veth peer name p1
ip -n "$probe" link add br0 type bridge
ip netns exec "$probe" nft -f - <<'NFT'
table inet mtc_probe {
  chain input {
    type filter hook input priority 0; policy accept;
    numgen random mod 100 < 10 counter drop
  }
}
table bridge mtc_probe {
  chain forward {
    type filter hook forward priority 0; policy accept;
  }
}
NFT
echo "netns: namespaces, veth, bridge and nftables (numgen, bridge family) work"
# Leftovers of killed runs (their owner PID is gone); a running lab is left alone.
if [ -d test-cluster/dist/netns ]; then node test-cluster/dist/netns/clean-command.js; fi
