#!/usr/bin/env bash
# Compiles the contracts (Anchor.sol, RenderToken.sol, Deposits.sol; each file holds the contract
# of its name) with the pinned solc (tools/package.json) and writes the ABI and bytecode the server
# loads at run time:
#   contracts/build.sh              -> server/src/main/resources/contracts/<Name>.{abi,bin}
#   contracts/build.sh OUTPUT_DIR   -> OUTPUT_DIR/<Name>.{abi,bin} (the drift test compares the two)
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
for NAME in Anchor RenderToken Deposits; do
input="$(node -e '
const fs = require("fs");
const name = process.argv[2];
const source = fs.readFileSync(process.argv[1], "utf8");
process.stdout.write(JSON.stringify({
  language: "Solidity",
  sources: { [name + ".sol"]: { content: source } },
  settings: {
    evmVersion: "paris",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { [name + ".sol"]: { [name]: ["abi", "evm.bytecode.object"] } }
  }
}));' "$ROOT/contracts/$NAME.sol" "$NAME")"

# solcjs prints a notice line before the JSON in this mode; keep from the first "{" on.
output="$(printf '%s' "$input" | "$SOLCJS" --standard-json | sed -n '/^{/,$p')"

printf '%s' "$output" | node -e '
const fs = require("fs");
const out = JSON.parse(fs.readFileSync(0, "utf8"));
const errors = (out.errors || []).filter(e => e.severity === "error");
if (errors.length) { console.error(errors.map(e => e.formattedMessage).join("\n")); process.exit(1); }
const warnings = (out.errors || []).filter(e => e.severity !== "error");
if (warnings.length) { console.error(warnings.map(e => e.formattedMessage).join("\n")); process.exit(1); }
const name = process.argv[2];
const contract = out.contracts[name + ".sol"][name];
fs.writeFileSync(process.argv[1] + "/" + name + ".abi", JSON.stringify(contract.abi, null, 2) + "\n");
fs.writeFileSync(process.argv[1] + "/" + name + ".bin", contract.evm.bytecode.object + "\n");
' "$OUT" "$NAME"
echo "contracts/build.sh: wrote $OUT/$NAME.abi and $OUT/$NAME.bin" >&2
done
