#!/usr/bin/env bash
# One set-up script for a fresh Debian/Ubuntu machine (README command 1 and .ci/run):
# the system tools aext and its tests need, installed only when missing.
#   bwrap (bubblewrap)  the sandbox of `aext run` / `aext exec`
#   zip, unzip, bsdtar, 7z, openssl  cross-check extractors and key interop in the tests
set -euo pipefail
need=()
for t in bwrap:bubblewrap python3:python3 zip:zip unzip:unzip bsdtar:libarchive-tools 7z:p7zip-full openssl:openssl; do
  command -v "${t%%:*}" >/dev/null 2>&1 || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The sandbox needs user namespaces: say so now rather than at the first `aext run`.
if ! bwrap --unshare-all --unshare-user --disable-userns --ro-bind / / /bin/true 2>/dev/null; then
  echo "setup: WARNING: bubblewrap cannot create namespaces here (kernel.unprivileged_userns_clone or a container policy?); aext run will refuse to start servers" >&2
fi
