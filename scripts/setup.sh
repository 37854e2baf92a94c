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
# busybox-static: the Docker client tests' tiny image; e2fsprogs: size-capped workspaces; runsc: gVisor.
PACKAGES=(libzmq5 python3-ipykernel python3-jupyter-client python3-zmq docker.io debootstrap
          busybox-static e2fsprogs runsc curl ca-certificates)

# Installs the packages that are not installed yet (apt-get update only then).
install_missing() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}
install_missing "${PACKAGES[@]}"

# --- client test dependencies (issue 4) ---
# Real Jupyter clients for tests/NotebookGateway.Server.Tests: Notebook 6.4 and jupyter_server 1.23 as gateway
# clients (--gateway-url), and @jupyterlab/services under Node.js (tests/js, pinned by its package-lock.json).
# Node.js and npm are the machine's own (not Debian's nodejs package), so they are used as found, not installed.
install_missing jupyter-notebook python3-jupyter-server python3-websocket prometheus
# The live-cells browser tests drive Debian's chromium with playwright-core (tests/js; no browser is downloaded)
# and drop its connection with ss -K (iproute2).
install_missing chromium iproute2
# The egress benchmark's second download server (bench/NotebookGateway.Bench/NginxFileServer.cs): nginx with
# sendfile, started by the benchmark on a port of its own (the package starts nothing without systemd).
install_missing nginx-light
if command -v node >/dev/null && command -v npm >/dev/null; then
    if [ ! -d tests/js/node_modules ] || [ tests/js/package-lock.json -nt tests/js/node_modules ]; then
        echo "setup: installing tests/js packages (npm ci)"
        npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
        touch tests/js/node_modules
    fi
else
    echo "setup: node and npm are not on PATH; the @jupyterlab/services client tests will fail until they are" >&2
fi
# --- end client test dependencies (issue 4) ---

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required on PATH" >&2; exit 1; }

# shellcheck source=lib/docker-engine.sh
source "$ROOT/scripts/lib/docker-engine.sh"
ensure_docker_engine

# gVisor (runsc) as an optional per-kernelspec runtime: installed and registered with dockerd (SIGHUP reload).
# shellcheck source=lib/gvisor.sh
source "$ROOT/scripts/lib/gvisor.sh"
ensure_gvisor_runtime

# SKIP_IMAGES=1: leave the sandbox images alone (a second checkout on a host whose images another checkout owns).
if [ "${SKIP_IMAGES:-0}" != 1 ]; then
    bash "$ROOT/scripts/build-images.sh"
fi

# --- second engine (issue 14) ---
# Sandbox:Engine "Podman" in gateway.json (or NBGW_Sandbox__Engine=Podman): rootful Podman's compatible service is
# started and the images Docker built are copied into its store. The test suite sets Podman up on its own.
ENGINE="${NBGW_Sandbox__Engine:-$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("Sandbox", {}).get("Engine", "Docker"))' "$ROOT/gateway.json")}"
if [ "${ENGINE,,}" = podman ] && [ "${SKIP_IMAGES:-0}" != 1 ]; then
    bash "$ROOT/scripts/podman-images.sh"
fi
# --- end second engine (issue 14) ---

# --- live-cells bundle (issue 6) ---
# web/live-cells -> src/NotebookGateway.Server/wwwroot/static/live-cells.js, before dotnet build (which copies wwwroot
# to the output). npm ci only when node_modules is missing or older than the lock; the build only when a source is newer.
LIVE_CELLS=web/live-cells
LIVE_CELLS_BUNDLE=src/NotebookGateway.Server/wwwroot/static/live-cells.js
if command -v node >/dev/null && command -v npm >/dev/null; then
    if [ ! -d "$LIVE_CELLS/node_modules" ] || [ "$LIVE_CELLS/package-lock.json" -nt "$LIVE_CELLS/node_modules" ]; then
        echo "setup: installing $LIVE_CELLS packages (npm ci)"
        npm ci --prefix "$LIVE_CELLS" --no-audit --no-fund --loglevel=error
        touch "$LIVE_CELLS/node_modules"
    fi
    if [ ! -f "$LIVE_CELLS_BUNDLE" ] || [ -n "$(find "$LIVE_CELLS/src" "$LIVE_CELLS/build.mjs" "$LIVE_CELLS/package-lock.json" \
            "$LIVE_CELLS/node_modules" -maxdepth 1 -newer "$LIVE_CELLS_BUNDLE" -print -quit)" ]; then
        echo "setup: building the live-cells script"
        npm run --prefix "$LIVE_CELLS" --silent build
    fi
else
    echo "setup: node and npm are not on PATH; $LIVE_CELLS_BUNDLE is not built (the gateway answers 404 for it)" >&2
fi
# --- end live-cells bundle (issue 6) ---

echo "setup: building the solution"
dotnet build NotebookGateway.sln -c Release -v quiet -nologo -clp:ErrorsOnly

# --- kernelspec bridge (issue 12) ---
# The Jupyter tools its tests drive: jupyter_kernel_test, nbconvert/nbclient (and nbclient's test notebooks),
# jupyter console under tmux, jupyter kernelspec (jupyter-client's scripts).
install_missing jupyter-client jupyter-console jupyter-nbconvert python3-nbclient python3-jupyter-kernel-test tmux
# The bridge is published to a stable path (BRIDGE_DIR, default artifacts/bridge of this checkout) that installed
# kernelspecs name in their argv; a later build of the solution does not touch it. Republished only when a source
# of the bridge or of the projects it uses is newer than the published dll.
BRIDGE_DIR="${BRIDGE_DIR:-$ROOT/artifacts/bridge}"
if [ ! -f "$BRIDGE_DIR/NotebookGateway.Bridge.dll" ] || [ -n "$(find src/NotebookGateway.Bridge src/NotebookGateway.Jupyter src/NotebookGateway.Zmq \
        Directory.Build.props Directory.Packages.props -newer "$BRIDGE_DIR/NotebookGateway.Bridge.dll" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
    echo "setup: publishing the kernelspec bridge to $BRIDGE_DIR"
    dotnet publish src/NotebookGateway.Bridge/NotebookGateway.Bridge.csproj -c Release -o "$BRIDGE_DIR" -v quiet -nologo -clp:ErrorsOnly
fi
# --- end kernelspec bridge (issue 12) ---
echo "setup: done"
