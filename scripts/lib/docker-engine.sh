#!/usr/bin/env bash
# Make sure a Docker engine answers on the local Unix socket.
#
#   source scripts/lib/docker-engine.sh && ensure_docker_engine
#   bash scripts/lib/docker-engine.sh            # same, as a command
#
# These machines have no systemd and the engine is not running on a fresh one:
#   1. install Debian's docker.io if dockerd is missing (apt-get update only when
#      the package has no install candidate yet);
#   2. if nothing answers on the socket, remove a stale pid file and start dockerd
#      in the background, logging to /var/log/dockerd.log;
#   3. wait (bounded) until GET /_ping answers "OK".
# Silent when the engine already answers. Needs root for steps 1 and 2.
#
# Tunables (environment): DOCKER_ENGINE_SOCKET (default /var/run/docker.sock),
# DOCKER_ENGINE_PIDFILE (default /var/run/docker.pid), DOCKER_ENGINE_LOG
# (default /var/log/dockerd.log), DOCKER_ENGINE_WAIT_SECONDS (default 60).

_docker_engine_log() { printf 'docker-engine: %s\n' "$*" >&2; }

# True when the engine answers GET /_ping with OK on the socket.
docker_engine_answers() {
    local sock="${DOCKER_ENGINE_SOCKET:-/var/run/docker.sock}"
    [ -S "$sock" ] || return 1
    if command -v curl >/dev/null 2>&1; then
        [ "$(curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" = "OK" ]
    elif command -v docker >/dev/null 2>&1; then
        DOCKER_HOST="unix://$sock" timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
    else
        return 1
    fi
}

_docker_engine_install() {
    command -v dockerd >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        _docker_engine_log "dockerd is not installed and this is not root; install the docker.io package"
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        _docker_engine_log "dockerd is not installed and apt-get is unavailable"
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Only refresh the package lists when apt does not know the package yet.
    if ! apt-cache policy docker.io 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        _docker_engine_log "running apt-get update"
        apt-get update -qq >/dev/null || { _docker_engine_log "apt-get update failed"; return 1; }
    fi
    _docker_engine_log "installing docker.io"
    if ! apt-get install -y -qq docker.io >/dev/null; then
        # Lists may be stale (404 on a superseded .deb): refresh once and retry.
        apt-get update -qq >/dev/null && apt-get install -y -qq docker.io >/dev/null || {
            _docker_engine_log "apt-get install docker.io failed"
            return 1
        }
    fi
    command -v dockerd >/dev/null 2>&1 || { _docker_engine_log "docker.io installed but dockerd not found"; return 1; }
}

# True if the process exists and is not a zombie (its reaper may be slow or absent).
_docker_engine_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [ "${stat%% *}" != Z ]
}

# Pid of a running dockerd recorded in the pid file, or nothing. Removes the file if stale.
_docker_engine_pid() {
    local pidfile="${DOCKER_ENGINE_PIDFILE:-/var/run/docker.pid}" pid comm
    [ -f "$pidfile" ] || return 0
    pid="$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)"
    if [ -n "$pid" ] && _docker_engine_alive "$pid"; then
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
        if [ "$comm" = "dockerd" ]; then
            printf '%s\n' "$pid"
            return 0
        fi
    fi
    _docker_engine_log "removing stale $pidfile (pid ${pid:-?} is not a running dockerd)"
    rm -f "$pidfile"
}

# dockerd refuses to start while the pid file of its own containerd names a live process, and waits for
# that containerd's socket until it gives up. After dockerd was killed its containerd dies too (a
# parent-death signal), but where pid 1 does not reap orphans it stays a zombie: the file goes stale.
_docker_engine_clear_containerd_pid() {
    local pidfile=/var/run/docker/containerd/containerd.pid pid
    [ -f "$pidfile" ] || return 0
    pid="$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)"
    if [ -z "$pid" ] || ! _docker_engine_alive "$pid"; then
        _docker_engine_log "removing stale $pidfile (pid ${pid:-?} has exited)"
        rm -f "$pidfile"
    fi
}

ensure_docker_engine() {
    local sock="${DOCKER_ENGINE_SOCKET:-/var/run/docker.sock}"
    local logf="${DOCKER_ENGINE_LOG:-/var/log/dockerd.log}"
    local wait_s="${DOCKER_ENGINE_WAIT_SECONDS:-60}"
    local pid started=0 i

    docker_engine_answers && return 0

    _docker_engine_install || return 1

    pid="$(_docker_engine_pid)"
    if [ -z "$pid" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            _docker_engine_log "the engine is not running and starting dockerd needs root"
            return 1
        fi
        _docker_engine_clear_containerd_pid
        _docker_engine_log "starting dockerd (log: $logf)"
        mkdir -p "$(dirname "$logf")"
        local args=()
        # Name socket and pid file only when not the defaults (daemon.json may set "hosts").
        [ "$sock" = /var/run/docker.sock ] || args+=(-H "unix://$sock")
        [ "${DOCKER_ENGINE_PIDFILE:-/var/run/docker.pid}" = /var/run/docker.pid ] \
            || args+=(--pidfile "$DOCKER_ENGINE_PIDFILE")
        # setsid: the daemon must not share this shell's process group (a Ctrl-C
        # here must not reach it). In a subshell with job control off setsid is
        # never a group leader, so it does not fork and $! is dockerd itself.
        pid="$(set +m; setsid nohup dockerd "${args[@]}" >>"$logf" 2>&1 </dev/null & echo $!)"
        started=1
    fi

    for ((i = 0; i < wait_s * 2; i++)); do
        if docker_engine_answers; then
            [ "$started" -eq 1 ] && _docker_engine_log "engine is up (pid $pid)"
            return 0
        fi
        if [ "$started" -eq 1 ] && ! _docker_engine_alive "$pid"; then
            _docker_engine_log "dockerd exited during start-up; last lines of $logf:"
            tail -n 15 "$logf" >&2 2>/dev/null
            return 1
        fi
        sleep 0.5
    done
    _docker_engine_log "the engine did not answer on $sock within ${wait_s}s (dockerd pid $pid); see $logf"
    return 1
}

# Run directly: do the work and exit with its status.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    ensure_docker_engine
    exit $?
fi
