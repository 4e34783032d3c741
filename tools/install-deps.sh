#!/usr/bin/env bash
# Installs the Debian packages tlswatch needs to build and test, when missing.
# Used by `make check`, `make demo` and .ci/run. Extra package names may be
# passed as arguments (the capture recorder and the benchmark add theirs).
set -euo pipefail

pkgs=(build-essential pkg-config libpcap-dev libndpi-dev libncurses-dev libcmocka-dev libgcrypt20-dev
	tcpdump iproute2 tmux tshark chromium "$@")

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo="sudo"
	else
		echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
		exit 2
	fi
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"${missing[@]}" >/dev/null
