package com.rendertrust.server.platform.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where and how ledger batches are anchored. Anchoring is on when {@code rpcUrl} names a chain,
 * or when there is none but an anvil binary to start one (development only); otherwise off, and
 * the server runs without it.
 *
 * @param rpcUrl          RT_CHAIN_RPC_URL: any EVM JSON-RPC endpoint
 * @param embeddedAnvil   the anvil binary the server starts itself when {@code rpcUrl} is empty
 * @param privateKey      RT_CHAIN_PRIVATE_KEY: the anchoring account's key (a secret, never printed)
 * @param contractAddress RT_ANCHOR_CONTRACT: the deployed anchor contract; empty = deploy one (dev)
 * @param confirmations   RT_ANCHOR_CONFIRMATIONS: blocks (the including one counted) before FINAL
 * @param pollInterval    RT_ANCHOR_POLL_MS: how often the worker advances batches
 * @param resubmitAfter   RT_ANCHOR_RESUBMIT_SECONDS: a transaction unmined this long is re-signed
 *                        with the same nonce and a higher gas price
 * @param rpcTimeout      RT_CHAIN_RPC_TIMEOUT_SECONDS: bound on every JSON-RPC call
 */
public record ChainConfig(
    Optional<String> rpcUrl,
    Optional<Path> embeddedAnvil,
    Optional<String> privateKey,
    Optional<String> contractAddress,
    int confirmations,
    Duration pollInterval,
    Duration resubmitAfter,
    Duration rpcTimeout) {

  private static final Pattern PRIVATE_KEY = Pattern.compile("(0x)?[0-9a-fA-F]{64}");
  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

  public ChainConfig {
    Objects.requireNonNull(rpcUrl, "rpcUrl");
    Objects.requireNonNull(embeddedAnvil, "embeddedAnvil");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(contractAddress, "contractAddress");
    if (privateKey.isPresent() && !PRIVATE_KEY.matcher(privateKey.get()).matches()) {
      // Never echo the value: it is a key, or a typo of one.
      throw new IllegalArgumentException("RT_CHAIN_PRIVATE_KEY must be 32 bytes of hex (64 characters, optional 0x)");
    }
    if (contractAddress.isPresent() && !ADDRESS.matcher(contractAddress.get()).matches()) {
      throw new IllegalArgumentException("RT_ANCHOR_CONTRACT must be a 0x-prefixed 20-byte hex address");
    }
    if (confirmations < 1) {
      throw new IllegalArgumentException("RT_ANCHOR_CONFIRMATIONS must be >= 1");
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("RT_ANCHOR_POLL_MS must be > 0");
    }
    if (resubmitAfter.isNegative() || resubmitAfter.isZero()) {
      throw new IllegalArgumentException("RT_ANCHOR_RESUBMIT_SECONDS must be > 0");
    }
    if (rpcTimeout.isNegative() || rpcTimeout.isZero()) {
      throw new IllegalArgumentException("RT_CHAIN_RPC_TIMEOUT_SECONDS must be > 0");
    }
  }

  public static ChainConfig disabled() {
    return new ChainConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 3,
        Duration.ofSeconds(2), Duration.ofMinutes(2), Duration.ofSeconds(10));
  }

  public boolean enabled() {
    return rpcUrl.isPresent() || embeddedAnvil.isPresent();
  }

  public ChainConfig withRpcUrl(String url) {
    return new ChainConfig(Optional.of(url), Optional.empty(), privateKey, contractAddress, confirmations,
        pollInterval, resubmitAfter, rpcTimeout);
  }

  public ChainConfig withEmbeddedAnvil(Path binary) {
    return new ChainConfig(Optional.empty(), Optional.of(binary), privateKey, contractAddress, confirmations,
        pollInterval, resubmitAfter, rpcTimeout);
  }

  public ChainConfig withConfirmations(int count) {
    return new ChainConfig(rpcUrl, embeddedAnvil, privateKey, contractAddress, count, pollInterval, resubmitAfter,
        rpcTimeout);
  }

  public ChainConfig withPollInterval(Duration interval) {
    return new ChainConfig(rpcUrl, embeddedAnvil, privateKey, contractAddress, confirmations, interval,
        resubmitAfter, rpcTimeout);
  }

  public ChainConfig withResubmitAfter(Duration after) {
    return new ChainConfig(rpcUrl, embeddedAnvil, privateKey, contractAddress, confirmations, pollInterval, after,
        rpcTimeout);
  }

  public ChainConfig withContractAddress(String address) {
    return new ChainConfig(rpcUrl, embeddedAnvil, privateKey, Optional.of(address), confirmations, pollInterval,
        resubmitAfter, rpcTimeout);
  }

  @Override
  public String toString() {
    return "ChainConfig[rpcUrl=" + rpcUrl.map(ChainConfig::redactUrl).orElse(embeddedAnvil.isPresent() ? "<embedded anvil>" : "<none>")
        + ", privateKey=" + (privateKey.isPresent() ? "***" : "<anvil dev key>")
        + ", contractAddress=" + contractAddress.orElse("<deploy>")
        + ", confirmations=" + confirmations + ", pollInterval=" + pollInterval
        + ", resubmitAfter=" + resubmitAfter + ", rpcTimeout=" + rpcTimeout + "]";
  }

  /** Hosted RPC URLs often carry an API key in the path, query or user-info: show only scheme, host and port. */
  static String redactUrl(String url) {
    try {
      URI uri = URI.create(url);
      String origin = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
      boolean more = uri.getRawUserInfo() != null || uri.getRawQuery() != null
          || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"));
      return more ? origin + "/***" : origin;
    } catch (IllegalArgumentException e) {
      return "***";
    }
  }
}
