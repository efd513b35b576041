#!/usr/bin/env bash
# Compiles contracts/Anchor.sol with the pinned solc (tools/package.json) and writes the ABI and
# bytecode the server loads at run time:
#   contracts/build.sh              -> server/src/main/resources/contracts/Anchor.{abi,bin}
#   contracts/build.sh OUTPUT_DIR   -> OUTPUT_DIR/Anchor.{abi,bin} (the drift test compares the two)
# Standard-JSON mode, because solcjs has no --evm-version flag; the settings below are part of the
# build and changing any of them changes the committed bytecode.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/server/src/main/resources/contracts}"
SOLCJS="$ROOT/tools/node_modules/.bin/solcjs"
if [ ! -x "$SOLCJS" ]; then
  echo "contracts/build.sh: $SOLCJS is missing; run 'npm install' in tools/ (./rendertrust does it)" >&2
  exit 1
fi
mkdir -p "$OUT"

# evmVersion paris: no PUSH0/cancun opcodes, so the same bytecode deploys on any EVM chain.
# bytecodeHash none: the bytecode does not embed an IPFS hash of the metadata (which would
# change with the source file's path), only the compiler version.
input="$(node -e '
const fs = require("fs");
const source = fs.readFileSync(process.argv[1], "utf8");
process.stdout.write(JSON.stringify({
  language: "Solidity",
  sources: { "Anchor.sol": { content: source } },
  settings: {
    evmVersion: "paris",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { "Anchor.sol": { Anchor: ["abi", "evm.bytecode.object"] } }
  }
}));' "$ROOT/contracts/Anchor.sol")"

# solcjs prints a notice line before the JSON in this mode; keep from the first "{" on.
output="$(printf '%s' "$input" | "$SOLCJS" --standard-json | sed -n '/^{/,$p')"

printf '%s' "$output" | node -e '
const fs = require("fs");
const out = JSON.parse(fs.readFileSync(0, "utf8"));
const errors = (out.errors || []).filter(e => e.severity === "error");
if (errors.length) { console.error(errors.map(e => e.formattedMessage).join("\n")); process.exit(1); }
const warnings = (out.errors || []).filter(e => e.severity !== "error");
if (warnings.length) { console.error(warnings.map(e => e.formattedMessage).join("\n")); process.exit(1); }
const anchor = out.contracts["Anchor.sol"].Anchor;
fs.writeFileSync(process.argv[1] + "/Anchor.abi", JSON.stringify(anchor.abi, null, 2) + "\n");
fs.writeFileSync(process.argv[1] + "/Anchor.bin", anchor.evm.bytecode.object + "\n");
' "$OUT"
echo "contracts/build.sh: wrote $OUT/Anchor.abi and $OUT/Anchor.bin" >&2
