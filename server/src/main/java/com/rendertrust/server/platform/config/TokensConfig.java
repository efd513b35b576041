package com.rendertrust.server.platform.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The chain as money: the ERC-20 token credits are bought with (deposits) and operators are
 * paid in (payouts). Active whenever the chain is ({@link ChainConfig#enabled()}); in
 * development, with no addresses set, the server deploys the test token and the deposit
 * contract to its anvil itself.
 *
 * @param tokenAddress       RT_TOKEN_ADDRESS: the ERC-20 token; empty = deploy the test token "RTK" (dev)
 * @param depositContract    RT_DEPOSIT_CONTRACT: the {@code Deposits} contract; empty = deploy one (dev)
 * @param publicRpcUrl       RT_CHAIN_PUBLIC_RPC_URL: the chain endpoint shown to users in deposit-info
 *                           (default: the server's own RPC URL)
 * @param creditsPerToken    RT_CREDITS_PER_TOKEN: credits for one whole token (10^decimals base units)
 * @param treasuryKey        RT_TREASURY_PRIVATE_KEY: the key payouts are sent from (dev: anvil #1)
 * @param confirmations      RT_DEPOSIT_CONFIRMATIONS: blocks (the including one counted) before a
 *                           deposit is credited or a payout CONFIRMED
 * @param pollInterval       RT_DEPOSIT_POLL_MS: how often the deposit and payout workers run
 * @param blockRange         RT_DEPOSIT_BLOCK_RANGE: most blocks one eth_getLogs call asks for
 */
public record TokensConfig(
    Optional<String> tokenAddress,
    Optional<String> depositContract,
    Optional<String> publicRpcUrl,
    BigDecimal creditsPerToken,
    Optional<String> treasuryKey,
    int confirmations,
    Duration pollInterval,
    int blockRange) {

  private static final Pattern PRIVATE_KEY = Pattern.compile("(0x)?[0-9a-fA-F]{64}");
  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

  public TokensConfig {
    Objects.requireNonNull(tokenAddress, "tokenAddress");
    Objects.requireNonNull(depositContract, "depositContract");
    Objects.requireNonNull(publicRpcUrl, "publicRpcUrl");
    Objects.requireNonNull(treasuryKey, "treasuryKey");
    if (tokenAddress.isPresent() && !ADDRESS.matcher(tokenAddress.get()).matches()) {
      throw new IllegalArgumentException("RT_TOKEN_ADDRESS must be a 0x-prefixed 20-byte hex address");
    }
    if (depositContract.isPresent() && !ADDRESS.matcher(depositContract.get()).matches()) {
      throw new IllegalArgumentException("RT_DEPOSIT_CONTRACT must be a 0x-prefixed 20-byte hex address");
    }
    if (tokenAddress.isPresent() != depositContract.isPresent()) {
      throw new IllegalArgumentException("set both RT_TOKEN_ADDRESS and RT_DEPOSIT_CONTRACT, or neither (development)");
    }
    if (creditsPerToken.signum() <= 0 || creditsPerToken.scale() > 4) {
      throw new IllegalArgumentException("RT_CREDITS_PER_TOKEN must be > 0 with at most 4 decimals");
    }
    if (treasuryKey.isPresent() && !PRIVATE_KEY.matcher(treasuryKey.get()).matches()) {
      throw new IllegalArgumentException("RT_TREASURY_PRIVATE_KEY must be 32 bytes of hex (64 characters, optional 0x)");
    }
    if (confirmations < 1) {
      throw new IllegalArgumentException("RT_DEPOSIT_CONFIRMATIONS must be >= 1");
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("RT_DEPOSIT_POLL_MS must be > 0");
    }
    if (blockRange < 1 || blockRange > 100_000) {
      throw new IllegalArgumentException("RT_DEPOSIT_BLOCK_RANGE must be in 1..100000");
    }
  }

  public static TokensConfig defaults() {
    return new TokensConfig(Optional.empty(), Optional.empty(), Optional.empty(), BigDecimal.ONE, Optional.empty(),
        3, Duration.ofSeconds(2), 1000);
  }

  public TokensConfig withConfirmations(int count) {
    return new TokensConfig(tokenAddress, depositContract, publicRpcUrl, creditsPerToken, treasuryKey, count,
        pollInterval, blockRange);
  }

  public TokensConfig withPolling(Duration interval, int range) {
    return new TokensConfig(tokenAddress, depositContract, publicRpcUrl, creditsPerToken, treasuryKey, confirmations,
        interval, range);
  }

  @Override
  public String toString() {
    return "TokensConfig[tokenAddress=" + tokenAddress.orElse("<deploy>")
        + ", depositContract=" + depositContract.orElse("<deploy>")
        + ", publicRpcUrl=" + publicRpcUrl.map(ChainConfig::redactUrl).orElse("<the server's>")
        + ", creditsPerToken=" + creditsPerToken.toPlainString()
        + ", treasuryKey=" + (treasuryKey.isPresent() ? "***" : "<anvil dev key #1>")
        + ", confirmations=" + confirmations + ", pollInterval=" + pollInterval + ", blockRange=" + blockRange + "]";
  }
}
