#!/usr/bin/env bash
# Copy the sandbox images that scripts/build-images.sh built in Docker into Podman's store (idempotent).
#
#   bash scripts/podman-images.sh               # every notebookgateway/* image
#   ONLY=python bash scripts/podman-images.sh   # sandbox-python (with the layers of what it is built on)
#
# The images are built once, by Docker, and verified there (their labels say which kernels answered); `docker save |
# podman load` keeps the image id (the digest of its configuration), so an image whose id already matches in Podman is
# skipped and a second run changes nothing. Podman names loaded images localhost/<name>, which short names resolve to.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ONLY="${ONLY:-}"

# shellcheck source=lib/podman-engine.sh
source "$ROOT/scripts/lib/podman-engine.sh"
ensure_podman_engine

mkdir -p /run/lock
exec 9>>/run/lock/notebookgateway-podman-images.lock
flock 9

started=$SECONDS
mapfile -t tags < <(docker images --format '{{.Repository}}:{{.Tag}}' 'notebookgateway/*' | grep -v '<none>' | sort)
[ ${#tags[@]} -gt 0 ] || { echo "podman-images: no notebookgateway/* images in Docker; run scripts/build-images.sh first" >&2; exit 1; }
for tag in "${tags[@]}"; do
    name="${tag#notebookgateway/sandbox-}"; name="${name%%:*}"
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then
        continue
    fi
    want="$(docker image inspect --format '{{.Id}}' "$tag")"
    have="$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    if [ "sha256:${have#sha256:}" = "$want" ]; then
        echo "$tag: in Podman (${want:7:12})"
        continue
    fi
    t0=$SECONDS
    docker save "$tag" | podman load -q >/dev/null || { echo "podman-images: loading $tag failed" >&2; exit 1; }
    echo "$tag: loaded into Podman (${want:7:12}, $((SECONDS - t0)) s)"
done
# Earlier versions of our images, untagged by the loads above.
podman image prune -f --filter "label=org.notebookgateway.image" >/dev/null 2>&1 || true
echo "podman images ready ($((SECONDS - started)) s)"
