package com.rendertrust.server.ledger.anchor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.protocol.ObjectMapperFactory;
import org.web3j.protocol.core.methods.response.AbiDefinition;
import org.web3j.utils.Numeric;

/**
 * The anchor contract as the server uses it: the bytecode and ABI that {@code contracts/build.sh}
 * compiled from {@code contracts/Anchor.sol} (committed under {@code resources/contracts/}; a test
 * fails if they drift from a fresh compile), and the calldata/topics of the three members we use.
 * Loading checks the ABI really declares those members, so the hand-built encodings cannot
 * silently disagree with the compiled contract.
 */
public final class AnchorContract {

  static final String ANCHOR_SIGNATURE = "anchor(uint256,bytes32)";
  static final String ROOT_OF_SIGNATURE = "rootOf(uint256)";
  static final String ANCHORED_EVENT_SIGNATURE = "Anchored(uint256,bytes32)";

  private static final Event ANCHORED = new Event("Anchored",
      List.of(new TypeReference<Uint256>(true) { }, new TypeReference<Bytes32>(false) { }));

  private final String bytecode;
  private final String abiJson;

  private AnchorContract(String bytecode, String abiJson) {
    this.bytecode = bytecode;
    this.abiJson = abiJson;
  }

  public static AnchorContract load() {
    String bytecode = resource("/contracts/Anchor.bin").strip();
    String abi = resource("/contracts/Anchor.abi");
    if (!bytecode.matches("[0-9a-f]+")) {
      throw new IllegalStateException("contracts/Anchor.bin is not hex bytecode");
    }
    Set<String> declared = declaredSignatures(abi);
    for (String required : List.of("function " + ANCHOR_SIGNATURE, "function " + ROOT_OF_SIGNATURE,
        "event " + ANCHORED_EVENT_SIGNATURE)) {
      if (!declared.contains(required)) {
        throw new IllegalStateException("contracts/Anchor.abi does not declare " + required + "; declared: " + declared);
      }
    }
    return new AnchorContract(bytecode, abi);
  }

  /** Creation bytecode, 0x-prefixed, ready to be a deployment transaction's data. */
  public String creationCode() {
    return "0x" + bytecode;
  }

  public String abiJson() {
    return abiJson;
  }

  public static String anchorCall(long batchId, byte[] root) {
    return FunctionEncoder.encode(new Function("anchor",
        List.of(new Uint256(BigInteger.valueOf(batchId)), new Bytes32(root)), List.of()));
  }

  public static String rootOfCall(long batchId) {
    return FunctionEncoder.encode(new Function("rootOf",
        List.of(new Uint256(BigInteger.valueOf(batchId))), List.of(new TypeReference<Bytes32>() { })));
  }

  /** topic0 of {@code Anchored}. */
  public static String anchoredTopic() {
    return EventEncoder.encode(ANCHORED);
  }

  /** topic1 of {@code Anchored} for one batch: the indexed batch id as a 32-byte word. */
  public static String batchIdTopic(long batchId) {
    return Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(batchId), 64);
  }

  /** The {@code bytes32} of a {@code rootOf} return value or an {@code Anchored} log's data. */
  public static byte[] decodeRoot(String hexWord) {
    byte[] bytes = Numeric.hexStringToByteArray(hexWord);
    if (bytes.length != 32) {
      throw new IllegalArgumentException("expected one 32-byte word, got " + bytes.length + " bytes");
    }
    return bytes;
  }

  public static boolean isZero(byte[] word) {
    return Arrays.equals(word, new byte[32]);
  }

  private static Set<String> declaredSignatures(String abi) {
    try {
      AbiDefinition[] entries = ObjectMapperFactory.getObjectMapper().readValue(abi, AbiDefinition[].class);
      return Arrays.stream(entries)
          .filter(entry -> "function".equals(entry.getType()) || "event".equals(entry.getType()))
          .map(entry -> entry.getType() + " " + entry.getName() + entry.getInputs().stream()
              .map(AbiDefinition.NamedType::getType).collect(Collectors.joining(",", "(", ")")))
          .collect(Collectors.toSet());
    } catch (RuntimeException e) {
      throw new IllegalStateException("contracts/Anchor.abi is not a readable ABI", e);
    }
  }

  private static String resource(String path) {
    try (InputStream in = AnchorContract.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(path + " is missing from the classpath; run contracts/build.sh");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
