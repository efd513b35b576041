package com.rendertrust.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rendertrust.server.platform.chain.AnvilProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A real anvil chain for one test (the pinned npm binary, or RT_ANVIL_BIN), plus the anvil RPCs
 * tests use to inject chain faults: mining control, {@code anvil_reorg},
 * {@code anvil_dropTransaction}. Talks raw JSON-RPC so fault injection never goes through the
 * code under test.
 */
public final class TestChain implements AutoCloseable {

  /** anvil account #1 (public dev mnemonic): a second, funded key that is not the anchoring owner. */
  public static final String OTHER_PRIVATE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final AnvilProcess anvil;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private TestChain(AnvilProcess anvil) {
    this.anvil = anvil;
  }

  /** A fresh chain that mines one block per transaction. */
  public static TestChain start() {
    return new TestChain(AnvilProcess.start(AnvilProcess.requireBinary(System.getenv()), AnvilProcess.Options.automine()));
  }

  public AnvilProcess process() {
    return anvil;
  }

  public String rpcUrl() {
    return anvil.rpcUrl();
  }

  public void setAutomine(boolean on) {
    call("evm_setAutomine", on);
  }

  public void mine(int blocks) {
    call("anvil_mine", "0x" + Integer.toHexString(blocks));
  }

  public long blockNumber() {
    return Long.decode(call("eth_blockNumber").asText());
  }

  public String blockHash(long number) {
    return call("eth_getBlockByNumber", "0x" + Long.toHexString(number), false).get("hash").asText();
  }

  /** Replaces the last {@code depth} blocks with new empty ones at the same heights (a real reorg). */
  public void reorg(long depth) {
    call("anvil_reorg", depth, JSON.createArrayNode());
  }

  public void dropTransaction(String txHash) {
    call("anvil_dropTransaction", txHash);
  }

  /** Whether the node knows the transaction (pending or mined). */
  public boolean knows(String txHash) {
    return !call("eth_getTransactionByHash", txHash).isNull();
  }

  public boolean mined(String txHash) {
    return !call("eth_getTransactionReceipt", txHash).isNull();
  }

  public JsonNode call(String method, Object... params) {
    ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 1).put("method", method);
    ArrayNode array = request.putArray("params");
    for (Object param : params) {
      array.add(JSON.valueToTree(param));
    }
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(rpcUrl()))
          .header("Content-Type", "application/json")
          .timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)))
          .build(), HttpResponse.BodyHandlers.ofString());
      JsonNode body = JSON.readTree(response.body());
      if (body.has("error")) {
        throw new IllegalStateException(method + " failed: " + body.get("error"));
      }
      return body.get("result");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    anvil.close();
  }
}
