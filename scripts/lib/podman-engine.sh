#!/usr/bin/env bash
# Make sure rootful Podman's Docker-compatible service answers on its Unix socket (the second engine; Sandbox:Engine
# "Podman" in gateway.json, and the second run of the engine tests).
#
#   source scripts/lib/podman-engine.sh && ensure_podman_engine
#   bash scripts/lib/podman-engine.sh            # same, as a command
#
#   1. install Debian's podman and runc when missing (apt-get update only when podman has no candidate yet);
#   2. write /etc/containers/containers.conf.d/50-notebookgateway.conf:
#      - runtime runc: Debian 12's crun 1.8 refuses this host's hybrid cgroup layout ("cgroups in hybrid mode not
#        supported"); runc is also what dockerd runs, so both engines start kernels with the same runtime;
#      - default rlimits within the host's hard limits: rootful Podman otherwise asks for nofile and nproc of 1048576+,
#        which fails here (root has no CAP_SYS_RESOURCE in these machines); the gateway sets both per container anyway;
#   3. if nothing answers on the socket, start `podman system service --time=0` in the background (no systemd here),
#      logging to /var/log/podman-service.log, and wait (bounded) until GET /_ping answers OK.
# Silent when the service already answers with this configuration. Needs root.
#
# Tunables (environment): PODMAN_ENGINE_SOCKET (default /run/podman/podman.sock), PODMAN_ENGINE_LOG
# (default /var/log/podman-service.log), PODMAN_ENGINE_WAIT_SECONDS (default 60).

_podman_engine_log() { printf 'podman-engine: %s\n' "$*" >&2; }

podman_engine_answers() {
    local sock="${PODMAN_ENGINE_SOCKET:-/run/podman/podman.sock}"
    [ -S "$sock" ] && [ "$(curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" = "OK" ]
}

_podman_engine_install() {
    command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || { _podman_engine_log "podman is not installed and this is not root; install podman and runc"; return 1; }
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache policy podman 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        apt-get update -qq >/dev/null || { _podman_engine_log "apt-get update failed"; return 1; }
    fi
    _podman_engine_log "installing podman and runc"
    apt-get install -y -qq --no-install-recommends podman runc conmon catatonit >/dev/null \
        || { _podman_engine_log "apt-get install podman failed"; return 1; }
}

# Prints the configuration this host needs; the service is restarted when the file changes.
_podman_engine_config() {
    local nofile nproc
    nofile="$(ulimit -Hn)"; nproc="$(ulimit -Hu)"
    [ "$nofile" = unlimited ] && nofile=1048576
    # Podman lowers its own process limit to 32768; a container cannot be given more than its runtime has.
    if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
    printf '# Written by NotebookGateway scripts/lib/podman-engine.sh; see the comments there.\n'
    printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n\n[engine]\nruntime = "runc"\n' \
        "$nofile" "$nofile" "$nproc" "$nproc"
}

ensure_podman_engine() {
    local sock="${PODMAN_ENGINE_SOCKET:-/run/podman/podman.sock}"
    local log="${PODMAN_ENGINE_LOG:-/var/log/podman-service.log}"
    local wait_seconds="${PODMAN_ENGINE_WAIT_SECONDS:-60}"
    local conf=/etc/containers/containers.conf.d/50-notebookgateway.conf wanted changed=0
    _podman_engine_install || return 1
    wanted="$(_podman_engine_config)"
    if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
        mkdir -p "$(dirname "$conf")" && printf '%s\n' "$wanted" >"$conf" || { _podman_engine_log "cannot write $conf"; return 1; }
        changed=1
    fi
    if podman_engine_answers && [ "$changed" = 0 ]; then
        return 0
    fi
    # A service started before the configuration changed keeps the old runtime and limits.
    pkill -f "podman system service --time=0 unix://$sock" 2>/dev/null || true
    mkdir -p "$(dirname "$sock")"
    rm -f "$sock"
    _podman_engine_log "starting podman system service on $sock (log: $log)"
    setsid nohup podman system service --time=0 "unix://$sock" >>"$log" 2>&1 </dev/null &
    local deadline=$((SECONDS + wait_seconds))
    until podman_engine_answers; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            _podman_engine_log "the podman service did not answer on $sock within ${wait_seconds}s; last log lines:"
            tail -n 20 "$log" >&2
            return 1
        fi
        sleep 0.2
    done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ensure_podman_engine
fi
