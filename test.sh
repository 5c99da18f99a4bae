#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: restores packages, builds, and runs unit, integration
# (real Kestrel listeners and WebSocket clients on loopback) and browser tests (the admin page in Debian's chromium).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

# The browser tests drive Debian's chromium through Playwright, which downloads no browser of its own here.
CHROMIUM=/usr/bin/chromium
if [[ ! -x $CHROMIUM ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    AS_ROOT=()
  elif command -v sudo >/dev/null 2>&1; then
    AS_ROOT=(sudo)
  else
    echo "test.sh: $CHROMIUM is missing and installing it needs root or sudo: run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: $CHROMIUM is missing and this machine has no apt-get: install Debian's chromium package" >&2
    exit 1
  fi
  echo "test.sh: installing Debian's chromium for the browser tests" >&2
  if ! "${AS_ROOT[@]}" apt-get update -qq || ! "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    echo "test.sh: 'apt-get install -y chromium' failed; install it by hand and run again" >&2
    exit 1
  fi
fi

# Open files: the browser tests hold 10 000 live sessions, 10 000 sockets in the test process and as many in its
# balancer process. Raise the soft limit to the hard one (and the hard one to 65536 where that is allowed: root with
# CAP_SYS_RESOURCE; a container without it keeps its hard limit, and the test names the limit it needs).
HARD=$(ulimit -Hn)
if [[ $HARD != unlimited && $HARD -lt 65536 ]]; then
  ulimit -Hn 65536 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Everything but the browser tests first (dotnet test runs those projects side by side), then the browser tests alone:
# they bound how fast the page answers (a session on screen within 2 s, list answers under 200 ms with 10 000 sessions),
# which the load of the other test projects would turn into a measure of the machine.
status=0
dotnet test WsBalancer.Platform.sln --configuration Release -p:ExcludeBrowserTests=true "$@" || status=$?
# Built here: the first pass builds only the projects it tests (and what they reference).
dotnet test tests/WsBalancer.Browser.Tests/WsBalancer.Browser.Tests.csproj --configuration Release "$@" || status=$?
exit "$status"
