#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: restores packages, builds, and runs unit and
# integration tests (real Kestrel listeners and WebSocket clients on loopback).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test WsBalancer.Platform.sln --configuration Release "$@"
