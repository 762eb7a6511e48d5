#!/usr/bin/env bash
# The system tools the observability tests use: Chromium (the dashboard test drives it
# through playwright-core; no browser download), and Prometheus with promtool (the
# metrics tests check /metrics with promtool and scrape a cluster with a real server).
set -euo pipefail
need=()
# A font, so that screenshots show text (the tests themselves read the DOM).
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || need+=(prometheus)
if [ "${#need[@]}" -eq 0 ]; then
  echo "observability tools present: chromium, prometheus, promtool"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "not root: cannot install ${need[*]}; the dashboard and Prometheus tests will fail under MESH_REQUIRE_ALL=1"
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's prometheus package starts a system service; the tests run their own server.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
echo "installed: ${need[*]}"
