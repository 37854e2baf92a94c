#!/usr/bin/env bash
# Register gVisor (runsc) as a Docker runtime named "runsc", for kernelspecs whose
# metadata.notebookgateway.runtime is "runsc" (HostConfig.Runtime = "runsc").
#
#   bash scripts/lib/gvisor.sh                    # install + configure + reload dockerd
#   source scripts/lib/gvisor.sh && ensure_gvisor_runtime
#
# 1. installs Debian's runsc package if missing (apt-get update only when apt knows no candidate);
# 2. adds/updates "runtimes.runsc" in /etc/docker/daemon.json, keeping every other setting;
# 3. reloads dockerd with SIGHUP (runtimes are a live-reloadable setting: no restart, running
#    containers are untouched) and waits until the engine lists the runtime.
# Idempotent: nothing is changed when the entry is already as below. Needs root.
#
# Runtime arguments, and why:
#   --platform=ptrace   the KVM platform hangs in these VMs;
#   --network=none      sandboxes have no network anyway (Docker's NetworkMode none);
#   --host-uds=create   the kernel creates its ZeroMQ ipc sockets in the bind-mounted socket
#                       directory, and the gateway on the host must be able to connect to them;
#   --oci-seccomp       otherwise runsc ignores the container's seccomp profile (ours).
# The gateway never passes user-supplied labels or annotations, so dev.gvisor.flag.* overrides
# cannot re-enable anything from a client.
#
# Tunables: DOCKER_DAEMON_JSON (default /etc/docker/daemon.json), DOCKER_ENGINE_PIDFILE
# (default /var/run/docker.pid), RUNSC_PATH (default: command -v runsc), GVISOR_WAIT_SECONDS (30).

_gvisor_log() { printf 'gvisor: %s\n' "$*" >&2; }

GVISOR_RUNTIME_ARGS=(--platform=ptrace --network=none --host-uds=create --oci-seccomp)

_gvisor_install() {
    command -v runsc >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        _gvisor_log "runsc is not installed and this is not root; install the runsc package"
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache policy runsc 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        _gvisor_log "running apt-get update"
        apt-get update -qq >/dev/null || { _gvisor_log "apt-get update failed"; return 1; }
    fi
    _gvisor_log "installing runsc"
    apt-get install -y -qq runsc >/dev/null || { _gvisor_log "apt-get install runsc failed"; return 1; }
    command -v runsc >/dev/null 2>&1
}

# Prints "changed" when daemon.json was rewritten, "unchanged" otherwise.
_gvisor_configure() {
    local file="$1" runsc="$2"
    mkdir -p "$(dirname "$file")"
    /usr/bin/python3 - "$file" "$runsc" "${GVISOR_RUNTIME_ARGS[@]}" <<'PY'
import json, os, sys
path, runsc, args = sys.argv[1], sys.argv[2], sys.argv[3:]
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        config = json.load(f)
wanted = {"path": runsc, "runtimeArgs": args}
runtimes = config.setdefault("runtimes", {})
if runtimes.get("runsc") == wanted:
    print("unchanged")
    sys.exit(0)
runtimes["runsc"] = wanted
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
print("changed")
PY
}

_gvisor_engine_has_runtime() {
    docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | tr ' ' '\n' | grep -qx runsc
}

ensure_gvisor_runtime() {
    local file="${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"
    local pidfile="${DOCKER_ENGINE_PIDFILE:-/var/run/docker.pid}"
    local wait_s="${GVISOR_WAIT_SECONDS:-30}" runsc state pid i

    _gvisor_install || return 1
    runsc="${RUNSC_PATH:-$(command -v runsc)}"
    state="$(_gvisor_configure "$file" "$runsc")" || { _gvisor_log "could not update $file"; return 1; }
    if [ "$state" = unchanged ] && _gvisor_engine_has_runtime; then
        return 0
    fi

    pid="$(tr -dc '0-9' <"$pidfile" 2>/dev/null)"
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
        pid="$(pgrep -x dockerd | head -n 1)"
    fi
    if [ -z "$pid" ]; then
        _gvisor_log "$file updated; dockerd is not running (start it: bash scripts/lib/docker-engine.sh)"
        return 1
    fi
    _gvisor_log "registered runtime runsc ($runsc ${GVISOR_RUNTIME_ARGS[*]}); reloading dockerd (pid $pid)"
    kill -HUP "$pid"
    for ((i = 0; i < wait_s * 2; i++)); do
        _gvisor_engine_has_runtime && return 0
        sleep 0.5
    done
    _gvisor_log "dockerd did not list the runsc runtime within ${wait_s}s; check its log"
    return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    ensure_gvisor_runtime
    exit $?
fi
