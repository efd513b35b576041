/** SHA-256 and the local RFC 6962 Merkle path check, on Web Crypto (browsers and Node >= 20 alike). */

/** The SHA-256 of `bytes` as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/** What a ledger proof consists of (`getProof` answers with these fields and more). */
export interface MerklePath {
  leaf: string;
  merkleRoot: string;
  proofHashes: readonly string[];
  directions: readonly string[];
}

/**
 * True when the proof's path leads from its leaf to its root: each sibling is hashed on its side
 * ("left" or "right") as an RFC 6962 interior node, SHA-256(0x01 ‖ left ‖ right). No trust in the
 * server's own "verified" is needed.
 */
export async function proofVerifiesLocally(proof: MerklePath): Promise<boolean> {
  if (!proof.leaf || !proof.merkleRoot || proof.proofHashes.length !== proof.directions.length) {
    return false;
  }
  const leaf = fromHex(proof.leaf);
  const root = fromHex(proof.merkleRoot);
  if (leaf === undefined || root === undefined) {
    return false;
  }
  let current: Uint8Array = leaf;
  for (let i = 0; i < proof.proofHashes.length; i++) {
    const sibling = fromHex(proof.proofHashes[i]!);
    const side = proof.directions[i];
    if (sibling === undefined || (side !== "left" && side !== "right")) {
      return false;
    }
    const [left, right]: [Uint8Array, Uint8Array] = side === "left" ? [sibling, current] : [current, sibling];
    const node = new Uint8Array(1 + left.length + right.length);
    node[0] = 0x01;
    node.set(left, 1);
    node.set(right, 1 + left.length);
    const digest: ArrayBuffer = await crypto.subtle.digest("SHA-256", node);
    current = new Uint8Array(digest);
  }
  return current.length === root.length && current.every((byte, i) => byte === root[i]);
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    return undefined;
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}
