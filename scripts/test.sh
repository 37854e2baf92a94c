#!/usr/bin/env bash
# The whole test suite: sets up what is missing, then runs every test project against the real
# libzmq, ipykernel, jupyter_client and Docker engine, then the engine tests again against Podman. Ends with
# "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

# The second engine, rootful Podman (issue 14): its service, and the image the engine tests use copied into it. A failure
# here fails the Podman tests below with what to install; the rest still runs.
podman_ready=1
ONLY=python bash scripts/podman-images.sh || { podman_ready=0; echo "Podman could not be set up: see scripts/lib/podman-engine.sh"; }

log="$(mktemp)"
# One project at a time: kernel start and interrupt timings are part of what is tested.
dotnet test NotebookGateway.sln -c Release --no-build -m:1 --results-directory "$ROOT/TestResults" \
    --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The engine-facing tests once more against Podman: the same client, hardened containers, limits, attacks,
# re-adoption and pool on Podman's compatible service.
for project in tests/NotebookGateway.Docker.Tests tests/NotebookGateway.Kernels.Tests; do
    echo "=== $project against Podman ==="
    # The engine restart tests kill one engine on purpose and ran, each once, in the run above.
    NBGW_TEST_ENGINE=podman dotnet test "$project" -c Release --no-build --results-directory "$ROOT/TestResults/podman" \
        --filter "FullyQualifiedName!~EngineRestartTests&FullyQualifiedName!~PodmanServiceRestartTests" \
        --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
[ "$podman_ready" = 1 ] || status=1

# Sum the per-project summaries ("Total tests: 15" followed by "     Passed: 15", "     Failed: 1", ...).
read -r passed failed skipped < <(awk '
    /^Total tests:/ { inside = 1; next }
    inside && /^ +Passed: [0-9]+$/  { p += $2; next }
    inside && /^ +Failed: [0-9]+$/  { f += $2; next }
    inside && /^ +Skipped: [0-9]+$/ { s += $2; next }
    { inside = 0 }
    END { printf "%d %d %d\n", p, f, s }' "$log")
# The failures again at the very end, with the first lines of their messages and of what the test wrote, so a log
# read from its tail (as CI shows it) names them and says what was seen.
failures="$(awk '
    /^ +(Passed|Skipped) [^ ]+/ { failure = 0; want = 0; next }
    /^ +Failed [^ ]+/ { print; failure = 1; shown = 0; want = 12; next }
    failure && /^ +Error Message:/ { print; next }
    failure && /^ +Stack Trace:/ { want = 0; next }
    failure && /^ +Standard Output Messages:/ { print; shown = 0; want = 40; next }
    want && shown < want { print; shown++ }' "$log")"
rm -f "$log"
# Files the tests keep for people (the live-cells browser test's screenshot), in the test output folders.
for artifact in "$ROOT"/tests/*/bin/Release/net10.0/artifacts/*; do
    [ -e "$artifact" ] && echo "artifact: $artifact"
done
echo
if [ -n "$failures" ]; then
    echo "failed tests:"
    echo "$failures"
    echo
fi
echo "total: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
