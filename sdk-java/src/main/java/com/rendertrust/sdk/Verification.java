package com.rendertrust.sdk;

/** The server's check of an entry against the root read from the chain. */
public record Verification(String entryId, boolean verified, String merkleRoot, String onChainRoot,
    Long blockNumber, String txHash) {
}
