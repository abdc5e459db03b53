#!/usr/bin/env bash
# Makes sure redis-server is on PATH for the redisfleet tests and for
# examples/fleet (the example and its test), which start their own servers on
# free loopback ports. Installs Debian's package when it is absent; with
# CI=true a missing redis-server is an error, never a skip.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
	redis-server --version
	exit 0
fi

fail() {
	echo "redis.sh: $*" >&2
	if [ "${CI:-}" = "true" ]; then
		exit 1
	fi
	echo "redis.sh: the redisfleet and examples/fleet tests that need a real Redis will be skipped" >&2
	exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
	fail "redis-server is not installed and apt-get is not available"
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		fail "redis-server is not installed and installing it needs root"
	fi
fi

# Keep the package's own service from starting: the tests run their own
# servers and stop them after.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod +x "$policy"
	made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

echo "redis.sh: installing redis-server"
if ! $sudo apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null ||
	! DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends redis-server >/dev/null; then
	fail "could not install redis-server with apt-get"
fi
if ! command -v redis-server >/dev/null 2>&1; then
	fail "redis-server is still not on PATH after installing it"
fi
redis-server --version
