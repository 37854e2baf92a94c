#!/usr/bin/env bash
# Everything NotebookGateway needs on a Debian machine, idempotently:
#   1. Debian packages (apt-get update only when something is missing),
#   2. the Docker engine (installed and started when not running; no systemd here),
#   3. the sandbox images (skipped when current),
#   4. the .NET solution (Release).
# A second run changes nothing and takes seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DEBIAN_FRONTEND=noninteractive

# libzmq5: the gateway's ZeroMQ; python3-*: real kernels and clients for tests and benchmarks;
# docker.io: the sandbox engine; debootstrap: bootstraps the base image without a registry;
# busybox-static: the Docker client tests' tiny image; e2fsprogs: size-capped workspaces.
PACKAGES=(libzmq5 python3-ipykernel python3-jupyter-client python3-zmq docker.io debootstrap
          busybox-static e2fsprogs curl ca-certificates)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required on PATH" >&2; exit 1; }

# shellcheck source=lib/docker-engine.sh
source "$ROOT/scripts/lib/docker-engine.sh"
ensure_docker_engine

bash "$ROOT/scripts/build-images.sh"

echo "setup: building the solution"
dotnet build NotebookGateway.sln -c Release -v quiet -nologo -clp:ErrorsOnly
echo "setup: done"
