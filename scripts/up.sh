#!/usr/bin/env bash
# Set everything up, then run the gateway on 127.0.0.1 with gateway.json; prints its URL and token.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
exec dotnet "$ROOT/src/NotebookGateway.Server/bin/Release/net10.0/NotebookGateway.Server.dll" "$@"
