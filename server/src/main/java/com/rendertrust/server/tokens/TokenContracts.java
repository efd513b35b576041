package com.rendertrust.server.tokens;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.utils.Numeric;

/**
 * The token contracts as the server uses them: the bytecode {@code contracts/build.sh} compiled
 * from {@code contracts/RenderToken.sol} and {@code contracts/Deposits.sol} (committed under
 * {@code resources/contracts/}; ContractArtifactsTest fails if they drift), and the calldata,
 * topics and decodings of the members used: ERC-20 {@code transfer} and {@code balanceOf}, and
 * the {@code Deposit(bytes32 indexed reference, address indexed from, uint256 amount)} event.
 */
public final class TokenContracts {

  /** Tokens have 18 decimals: one token is 10^18 base units. */
  public static final BigInteger ONE_TOKEN = BigInteger.TEN.pow(18);

  private static final Event DEPOSIT = new Event("Deposit", List.of(new TypeReference<Bytes32>(true) { },
      new TypeReference<Address>(true) { }, new TypeReference<Uint256>(false) { }));

  private TokenContracts() {
  }

  /** One decoded {@code Deposit} log. */
  public record DepositLog(String reference, String from, BigInteger amount) {
  }

  /** Creation code of the test token, minting {@code amountEach} base units to each holder. */
  public static String tokenCreation(List<String> holders, BigInteger amountEach) {
    return "0x" + bytecode("RenderToken") + FunctionEncoder.encodeConstructor(List.of(
        new DynamicArray<>(Address.class, holders.stream().map(Address::new).toList()), new Uint256(amountEach)));
  }

  /** Creation code of the deposit contract for {@code token}, sending deposits to {@code treasury}. */
  public static String depositsCreation(String token, String treasury) {
    return "0x" + bytecode("Deposits") + FunctionEncoder.encodeConstructor(List.of(new Address(token),
        new Address(treasury)));
  }

  public static String transferCall(String to, BigInteger amount) {
    return FunctionEncoder.encode(new Function("transfer", List.of(new Address(to), new Uint256(amount)),
        List.of()));
  }

  public static String balanceOfCall(String owner) {
    return FunctionEncoder.encode(new Function("balanceOf", List.of(new Address(owner)),
        List.of(new TypeReference<Uint256>() { })));
  }

  /** topic0 of {@code Deposit}. */
  public static String depositTopic() {
    return EventEncoder.encode(DEPOSIT);
  }

  /** The fields of a {@code Deposit} log (topics: signature, reference, from; data: amount). */
  public static DepositLog decodeDeposit(List<String> topics, String data) {
    if (topics.size() != 3) {
      throw new IllegalArgumentException("a Deposit log has 3 topics, got " + topics.size());
    }
    String from = "0x" + Numeric.cleanHexPrefix(topics.get(2)).substring(24).toLowerCase(Locale.ROOT);
    return new DepositLog(topics.get(1).toLowerCase(Locale.ROOT), from, Numeric.toBigInt(data));
  }

  /** A 32-byte return word as a number ({@code balanceOf}). */
  public static BigInteger decodeUint(String hexWord) {
    return Numeric.toBigInt(hexWord);
  }

  private static String bytecode(String name) {
    String path = "/contracts/" + name + ".bin";
    try (InputStream in = TokenContracts.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(path + " is missing from the classpath; run contracts/build.sh");
      }
      String hex = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!hex.matches("[0-9a-f]+")) {
        throw new IllegalStateException(path + " is not hex bytecode");
      }
      return hex;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
