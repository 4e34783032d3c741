#!/usr/bin/env bash
# Installs the Debian packages tlswatch needs to build and test, when missing.
# Used by `make check`, `make demo` and .ci/run. Extra package names may be
# passed as arguments (the capture recorder and the benchmark add theirs).
set -euo pipefail

pkgs=(build-essential pkg-config libpcap-dev libndpi-dev libncurses-dev libcmocka-dev libgcrypt20-dev libssl-dev libhiredis-dev
	procps bsdutils tcpdump iproute2 tmux tshark rsyslog chromium redis-server redis-tools nftables tcpreplay "$@")
# rsyslog: tests/e2e/rsyslog.sh runs an rsyslogd of its own, on its own socket
# and port; the system service Debian starts on install is neither used nor
# touched. redis-server, redis-tools: tests/e2e/redis.sh runs a redis-server of
# its own in a network namespace of its own; the system service is not used.
# nftables: tests/live/run.sh's two-taps case redirects port 25 inside its
# own server namespace to the interceptor (no rule outside it).
# tcpreplay: bench/live.sh (`make bench-live`) replays a capture onto a veth
# pair inside a network namespace of its own.

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
# suricata: tests/e2e/eve.sh joins tlswatch's EVE records with its own.
installed suricata || missing+=(suricata)
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

# Debian 12 has suricata only in bookworm-backports: when the configured
# sources have no candidate, it comes from there, through a source list and
# package lists of this script's own (the system's apt sources untouched).
want_suricata=0 backports=()
others=()
for p in "${missing[@]}"; do
	if [ "$p" = suricata ]; then want_suricata=1; else others+=("$p"); fi
done
if [ $want_suricata = 1 ] && [ -z "$(apt-cache madison suricata 2>/dev/null)" ]; then
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	if [ -z "$codename" ]; then
		echo "install-deps: suricata has no candidate and the release is unknown" >&2
		exit 2
	fi
	aptdir=$(mktemp -d)
	trap 'rm -rf "$aptdir"' EXIT
	mkdir -p "$aptdir/lists/partial"
	chmod -R a+rX "$aptdir" # apt downloads as _apt
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	{
		echo "deb [signed-by=$key] http://deb.debian.org/debian $codename main"
		echo "deb [signed-by=$key] http://deb.debian.org/debian $codename-updates main"
		echo "deb [signed-by=$key] http://deb.debian.org/debian-security $codename-security main"
		echo "deb [signed-by=$key] http://deb.debian.org/debian $codename-backports main"
	} >"$aptdir/sources.list"
	backports=(-o "Dir::Etc::sourcelist=$aptdir/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$aptdir/lists" -t "$codename-backports")
	$sudo apt-get "${backports[@]:0:6}" update -q >/dev/null
elif [ $want_suricata = 1 ]; then
	others+=(suricata)
fi
if [ ${#others[@]} -gt 0 ]; then
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${others[@]}" >/dev/null
fi
if [ ${#backports[@]} -gt 0 ]; then
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get "${backports[@]}" install -y -q \
		--no-install-recommends suricata >/dev/null
fi
# The package enables its daemon; the tests only ever run `suricata -r`.
if [ $want_suricata = 1 ] && command -v systemctl >/dev/null &&
	systemctl is-active --quiet suricata 2>/dev/null; then
	echo "install-deps: stopping and disabling the suricata service the package started" >&2
	$sudo systemctl disable --now suricata >/dev/null 2>&1 || true
fi
