package com.rendertrust.server.ledger.anchor;

/**
 * Which chain an RPC endpoint serves: its id and its genesis block hash. A dev chain reset keeps
 * id 31337 but gets a new genesis, and so does any endpoint that was re-pointed at another network
 * with the same id.
 */
public record ChainIdentity(long chainId, String genesisHash) {
}
