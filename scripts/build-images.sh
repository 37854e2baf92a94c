#!/usr/bin/env bash
# Build the sandbox images from sandbox-images/ (idempotent).
#
#   bash scripts/build-images.sh            # build what changed, print one line per image
#   FORCE=1 bash scripts/build-images.sh    # rebuild even if the source hash matches
#   VERBOSE=1 ...                           # stream docker build output
#
# 1. Base image: the Dockerfiles start from debian:bookworm-slim. If that image
#    is neither present nor pullable (no registry reachable on these machines),
#    it is bootstrapped with debootstrap from Debian's package mirror and
#    imported under that same tag.
# 2. Each image gets a source hash (its Dockerfile directory + the parent image
#    id), passed as a build argument and stored as the label
#    org.notebookgateway.source-hash; an image whose label already matches is
#    not rebuilt.
#
# Environment: BASE_IMAGE (default debian:bookworm-slim), PULL_TIMEOUT (20 s),
# DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (default: read from the host's apt
# sources, else debootstrap's default).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES_DIR="$ROOT/sandbox-images"
BASE_IMAGE="${BASE_IMAGE:-debian:bookworm-slim}"
PULL_TIMEOUT="${PULL_TIMEOUT:-20}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
FORCE="${FORCE:-0}"
VERBOSE="${VERBOSE:-0}"
HASH_LABEL="org.notebookgateway.source-hash"
VERIFIED_LABEL="org.notebookgateway.verified-kernels"
VERIFIED_HASH_LABEL="org.notebookgateway.verified-hash"
# Bump when the verification itself changes meaning, so every image is checked again.
VERIFY_FORMAT=1
IMAGECHECK="$ROOT/src/NotebookGateway.ImageCheck/bin/Release/net10.0/NotebookGateway.ImageCheck.dll"

# image tag                                 directory     parent image
# (siblings start in this order: the longest builds first)
IMAGES=(
    "notebookgateway/sandbox-base:latest        base          BASE_IMAGE"
    "notebookgateway/sandbox-kernel:latest      kernel        notebookgateway/sandbox-base:latest"
    "notebookgateway/sandbox-r:latest           r             notebookgateway/sandbox-base:latest"
    "notebookgateway/sandbox-javascript:latest  javascript    notebookgateway/sandbox-base:latest"
    "notebookgateway/sandbox-datascience:latest datascience   notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-octave:latest      octave        notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-python:latest      python        notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-rust:latest        rust          notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-go:latest          go            notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-java:latest        java          notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-c:latest           c             notebookgateway/sandbox-kernel:latest"
    "notebookgateway/sandbox-bash:latest        bash          notebookgateway/sandbox-kernel:latest"
)
# Images built at once (siblings only; a child waits for its parent). Downloads from the mirror dominate.
BUILD_JOBS="${BUILD_JOBS:-3}"
# ONLY=python,r builds just those directories (and what they are built on).
ONLY="${ONLY:-}"

# The legacy builder works with Debian's docker.io 20.10 and needs no buildx plugin.
export DOCKER_BUILDKIT=0

log() { printf '%s\n' "$*"; }
die() { printf 'build-images: %s\n' "$*" >&2; exit 1; }

# One run at a time on this host (several checkouts or sessions may call this
# script at once; concurrent bootstraps and builds would retag each other's images).
LOCK_FILE="${BUILD_IMAGES_LOCK:-/run/lock/notebookgateway-build-images.lock}"
[ -d "$(dirname "$LOCK_FILE")" ] && [ -w "$(dirname "$LOCK_FILE")" ] \
    || LOCK_FILE="/tmp/notebookgateway-build-images.$(id -u).lock"
exec 9>>"$LOCK_FILE"
if ! flock -n 9; then
    log "waiting for another build-images run ($LOCK_FILE)"
    flock 9
fi

# shellcheck source=lib/docker-engine.sh
source "$ROOT/scripts/lib/docker-engine.sh"
ensure_docker_engine || die "no Docker engine"

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

image_label() {
    docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
# Base image bootstrap

# Print the URI of the host's Debian archive for suite $1, read from the apt
# sources (deb822 *.sources and one-line *.list files). Nothing if not found.
host_mirror_for_suite() {
    local want="$1" f line key val types="" uris="" suites="" w
    _flush_stanza() {
        if [[ " $types " == *" deb "* ]] && [[ " $suites " == *" $want "* ]] && [ -n "$uris" ]; then
            printf '%s\n' "${uris%% *}"
            return 0
        fi
        types="" uris="" suites=""
        return 1
    }
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        types="" uris="" suites=""
        while IFS= read -r line || [ -n "$line" ]; do
            if [[ "$line" =~ ^[[:space:]]*$ ]]; then
                _flush_stanza && return 0
                continue
            fi
            [[ "$line" =~ ^([A-Za-z-]+):[[:space:]]*(.*)$ ]] || continue
            key="${BASH_REMATCH[1],,}" val="${BASH_REMATCH[2]}"
            case "$key" in
                types) types="$val" ;;
                uris) uris="$val" ;;
                suites) suites="$val" ;;
            esac
        done <"$f"
        _flush_stanza && return 0
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        while IFS= read -r line || [ -n "$line" ]; do
            line="${line%%#*}"
            [[ "$line" =~ ^[[:space:]]*deb[[:space:]] ]] || continue
            line="$(sed -E 's/\[[^]]*\]//' <<<"$line")"
            read -r -a w <<<"$line"
            if [ "${w[2]:-}" = "$want" ]; then
                printf '%s\n' "${w[1]}"
                return 0
            fi
        done <"$f"
    done
    return 0
}

rootfs_dir=""
cleanup_rootfs() {
    [ -n "$rootfs_dir" ] && [ -d "$rootfs_dir" ] || return 0
    # debootstrap mounts proc/sys inside the target; never delete through a mount.
    local m
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
        awk -v d="$rootfs_dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf --one-file-system "$rootfs_dir"
    rootfs_dir=""
}
trap cleanup_rootfs EXIT

bootstrap_base_image() {
    local tag="$1" mirror security include=""
    [ "$(id -u)" -eq 0 ] || die "bootstrapping $tag needs root (debootstrap)"
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
            || die "cannot install debootstrap"
    fi
    mirror="${DEBIAN_MIRROR:-$(host_mirror_for_suite "$DEBIAN_SUITE")}"
    mirror="${mirror%/}"
    security="$(host_mirror_for_suite "$DEBIAN_SUITE-security")"
    security="${security%/}"
    case "$mirror" in https:*) include="--include=ca-certificates" ;; esac

    rootfs_dir="$(mktemp -d /var/tmp/nbgw-rootfs.XXXXXX)"
    log "bootstrapping $tag: debootstrap --variant=minbase $DEBIAN_SUITE ${mirror:-(default mirror)}"
    local t0=$SECONDS logf="$rootfs_dir.log"
    # shellcheck disable=SC2086
    if ! debootstrap --variant=minbase $include "$DEBIAN_SUITE" "$rootfs_dir" ${mirror:+"$mirror"} \
            >"$logf" 2>&1; then
        tail -n 30 "$logf" >&2
        die "debootstrap failed (log: $logf)"
    fi
    rm -f "$logf"

    local r="$rootfs_dir"
    # apt sources like the official image: main suite, updates, security.
    if [ -z "$mirror" ]; then
        mirror="$(awk '/^deb /{ print $2; exit }' "$r/etc/apt/sources.list" 2>/dev/null || true)"
    fi
    if [ -n "$mirror" ]; then
        rm -f "$r/etc/apt/sources.list"
        {
            printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' \
                "$mirror" "$DEBIAN_SUITE" "$DEBIAN_SUITE"
            printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
            if [ -n "$security" ]; then
                printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' \
                    "$security" "$DEBIAN_SUITE"
                printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
            fi
        } >"$r/etc/apt/sources.list.d/debian.sources"
    fi

    # Slim it like a container base: no docs/man/locales now or from later
    # installs, no kept .debs, no services started by package scripts.
    cat >"$r/etc/dpkg/dpkg.cfg.d/01-notebookgateway-slim" <<'EOF'
# Container image: do not install documentation, manuals or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
    cat >"$r/etc/apt/apt.conf.d/01-notebookgateway-slim" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Keep-Downloaded-Packages "false";
Acquire::Languages "none";
EOF
    printf '#!/bin/sh\n# Never start services inside an image build.\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
    chmod 0755 "$r/usr/sbin/policy-rc.d"
    find "$r/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
    find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
           "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin "$r"/var/lib/apt/lists/* \
           "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* "$r"/debootstrap
    # The engine provides these per container.
    rm -f "$r/etc/hostname" "$r/etc/resolv.conf"
    : >"$r/etc/machine-id"

    # Tagged under the name the Dockerfiles default to (debian:bookworm-slim),
    # so `ARG BASE_IMAGE=debian:bookworm-slim` works unchanged whether the image
    # was pulled from a registry or bootstrapped here. The comment records which.
    tar --numeric-owner --xattrs -C "$r" -c . | docker import \
        --change 'CMD ["bash"]' \
        --message "debootstrap --variant=minbase $DEBIAN_SUITE (scripts/build-images.sh, no registry)" \
        - "$tag" >/dev/null || die "docker import failed"
    cleanup_rootfs
    log "$tag: bootstrapped ($((SECONDS - t0)) s)"
}

ensure_base_image() {
    local tag="$1"
    [ -n "$(image_id "$tag")" ] && return 0
    if timeout "$PULL_TIMEOUT" docker pull -q "$tag" >/dev/null 2>&1; then
        log "$tag: pulled"
        return 0
    fi
    [ "$tag" = "debian:$DEBIAN_SUITE-slim" ] \
        || die "$tag is not present and cannot be pulled (only debian:$DEBIAN_SUITE-slim can be bootstrapped)"
    bootstrap_base_image "$tag"
}

# ---------------------------------------------------------------------------
# Images

# Hash of a build context (relative paths and contents, sorted) and the parent image id.
source_hash() {
    local dir="$1" parent_id="$2"
    {
        printf 'parent %s\n' "$parent_id"
        (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    } | sha256sum | cut -c1-16
}

build_image() {
    local tag="$1" dir="$IMAGES_DIR/$2" parent="$3"
    [ -f "$dir/Dockerfile" ] || die "$dir/Dockerfile missing"
    local parent_id hash current
    parent_id="$(image_id "$parent")"
    [ -n "$parent_id" ] || die "parent image $parent of $tag is missing"
    hash="$(source_hash "$dir" "$parent_id")"
    current="$(image_label "$tag" "$HASH_LABEL")"
    if [ "$FORCE" != 1 ] && [ "$current" = "$hash" ]; then
        log "$tag: up to date ($hash)"
        return 0
    fi

    local t0=$SECONDS logf
    logf="$(mktemp /var/tmp/nbgw-build.XXXXXX.log)"
    local args=(build --rm --force-rm -t "$tag"
        --build-arg "BASE_IMAGE=$parent" --build-arg "SOURCE_HASH=$hash" "$dir")
    if [ "$VERBOSE" = 1 ]; then
        docker "${args[@]}" 2>&1 | tee "$logf"
        local rc=${PIPESTATUS[0]}
    else
        local rc=0
        docker "${args[@]}" >"$logf" 2>&1 || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        [ "$VERBOSE" = 1 ] || tail -n 40 "$logf" >&2
        die "building $tag failed (log: $logf)"
    fi
    rm -f "$logf"
    log "$tag: built ($hash, $((SECONDS - t0)) s, $(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

# The kernel.json files of kernelspecs/ whose image is $1.
specs_naming() {
    /usr/bin/python3 - "$1" "$ROOT/kernelspecs" <<'PY'
import json, pathlib, sys
tag, root = sys.argv[1], pathlib.Path(sys.argv[2])
norm = lambda image: image if ":" in image.rsplit("/", 1)[-1] else image + ":latest"
for path in sorted(root.glob("*/kernel.json")):
    try:
        image = json.loads(path.read_text())["metadata"]["notebookgateway"]["image"]
    except (ValueError, KeyError, TypeError):
        continue
    if norm(image) == norm(tag):
        print(path)
PY
}

# Capability check: every kernelspec naming the image is started in a sandbox exactly as the gateway starts it
# (NotebookGateway.ImageCheck) and must answer kernel_info in its spec's language; what the kernels said becomes the
# image's verified-kernels label, which the gateway requires before it serves a spec. Skipped when neither the image's
# sources nor those kernelspecs changed since the last check (the verified-hash label).
verify_image() {
    local tag="$1" dir="$2" slot="$3" specs hash vhash label
    specs="$(specs_naming "$tag")"
    [ -n "$specs" ] || return 0
    hash="$(image_label "$tag" "$HASH_LABEL")"
    # shellcheck disable=SC2086
    vhash="$({ printf '%s\n%s\n' "$VERIFY_FORMAT" "$hash"; for f in $specs; do printf '%s\n' "${f#"$ROOT"/}"; cat "$f"; done; } | sha256sum | cut -c1-16)"
    if [ "$FORCE" != 1 ] && [ "$(image_label "$tag" "$VERIFIED_HASH_LABEL")" = "$vhash" ]; then
        return 0
    fi
    local t0=$SECONDS logf
    logf="$(mktemp /var/tmp/nbgw-check.XXXXXX.log)"
    local checked
    if ! label="$(dotnet "$IMAGECHECK" --image "$tag" --kernelspecs "$ROOT/kernelspecs" --seccomp "$ROOT/seccomp/notebook.json" \
            --owner "nbgw-imagecheck-$dir" --uid-first $((400000 + slot * 100)) 2>"$logf")"; then
        tail -n 40 "$logf" >&2
        die "the kernels of $tag failed their check (log: $logf)"
    fi
    checked="$(grep -o ': [^ :]* ok (.*' "$logf" | sed 's/^: //' | paste -sd ';' | sed 's/;/; /g')"
    if ! printf 'FROM %s\n' "$tag" | docker build -q --label "$VERIFIED_LABEL=$label" --label "$VERIFIED_HASH_LABEL=$vhash" \
            -t "$tag" - >"$logf" 2>&1; then
        cat "$logf" >&2
        die "labelling $tag failed"
    fi
    log "$tag: verified ($((SECONDS - t0)) s): $checked"
    rm -f "$logf"
}

# The image check is a .NET program of this repository; build it when it is missing or older than its sources.
ensure_imagecheck() {
    if [ -f "$IMAGECHECK" ] && [ -z "$(find "$ROOT/src" -name '*.cs*' -newer "$IMAGECHECK" -print -quit)" ]; then
        return 0
    fi
    command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is needed to verify the images"
    log "building NotebookGateway.ImageCheck"
    dotnet build "$ROOT/src/NotebookGateway.ImageCheck" -c Release -v quiet -nologo -clp:ErrorsOnly >/dev/null \
        || die "building NotebookGateway.ImageCheck failed"
}

# One image: built when its sources changed, then its kernels verified when they changed.
build_and_verify() {
    build_image "$1" "$2" "$3" && verify_image "$1" "$2" "$4"
}

# Before a context is hashed: a Dockerfile that copies .shared/ gets a fresh copy of sandbox-images/shared/ (this
# repository's kernel code, installed as the image's last layer); a directory with a package-lock.json gets its
# node_modules (npm ci --ignore-scripts) when missing or older than the lock file.
prepare_context() {
    local dir="$IMAGES_DIR/$1"
    if grep -q '^COPY \.shared' "$dir/Dockerfile"; then
        rm -rf "$dir/.shared"
        cp -r "$IMAGES_DIR/shared" "$dir/.shared"
    fi
    [ -f "$dir/package-lock.json" ] || return 0
    if [ -d "$dir/node_modules" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "npm is needed to prepare $dir (install Node.js and npm)"
    log "$1: npm ci --ignore-scripts"
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci in $dir failed"
    touch "$dir/node_modules"
}

# The entries to build: all, or those named in ONLY and their ancestors.
declare -A parent_of=() dir_of=() wanted=()
order=()
for entry in "${IMAGES[@]}"; do
    read -r tag dir parent <<<"$entry"
    [ "$parent" = BASE_IMAGE ] && parent="$BASE_IMAGE"
    parent_of[$tag]="$parent" dir_of[$tag]="$dir"
    order+=("$tag")
done
if [ -n "$ONLY" ]; then
    for tag in "${order[@]}"; do
        [[ ",$ONLY," == *",${dir_of[$tag]},"* ]] || continue
        t="$tag"
        while [ -n "${dir_of[$t]:-}" ]; do wanted[$t]=1; t="${parent_of[$t]}"; done
    done
    [ ${#wanted[@]} -gt 0 ] || die "ONLY=$ONLY names no image directory"
else
    for tag in "${order[@]}"; do wanted[$tag]=1; done
fi

ensure_base_image "$BASE_IMAGE"
ensure_imagecheck
for tag in "${order[@]}"; do
    [ -n "${wanted[$tag]:-}" ] && prepare_context "${dir_of[$tag]}"
done

# Parents first, siblings BUILD_JOBS at a time.
declare -A state=() job_tag=()
for tag in "${order[@]}"; do [ -n "${wanted[$tag]:-}" ] && state[$tag]=pending; done
running=0 failed=0 started_at=$SECONDS
while :; do
    for tag in "${order[@]}"; do
        [ "${state[$tag]:-}" = pending ] || continue
        parent="${parent_of[$tag]}"
        case "${state[$parent]:-done}" in
            done) ;;
            failed) state[$tag]=failed; failed=1; log "$tag: not built (its parent $parent failed)"; continue ;;
            *) continue ;;
        esac
        [ "$running" -lt "$BUILD_JOBS" ] || break
        build_and_verify "$tag" "${dir_of[$tag]}" "$parent" "${#job_tag[@]}" &
        job_tag[$!]="$tag" state[$tag]=running running=$((running + 1))
    done
    [ "$running" -gt 0 ] || break
    finished_pid=""
    rc=0
    wait -n -p finished_pid || rc=$?
    [ -n "$finished_pid" ] || continue
    tag="${job_tag[$finished_pid]}"
    running=$((running - 1))
    if [ "$rc" -eq 0 ]; then state[$tag]=done; else state[$tag]=failed; failed=1; fi
done
for tag in "${order[@]}"; do
    if [ "${state[$tag]:-}" = pending ]; then state[$tag]=failed; failed=1; log "$tag: not built"; fi
done

# Drop the previous, now untagged, versions of our images (only now: a prune during a build could take its layers).
docker image prune -f --filter "label=org.notebookgateway.image" >/dev/null 2>&1 || true
[ "$failed" -eq 0 ] || die "some images failed to build"
log "images ready ($((SECONDS - started_at)) s)"
