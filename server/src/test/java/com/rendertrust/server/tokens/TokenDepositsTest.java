package com.rendertrust.server.tokens;

import static com.rendertrust.server.db.Tables.DEPOSITS;
import static com.rendertrust.server.db.Tables.DEPOSIT_CURSORS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.TokensConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.LedgerAssertions;
import com.rendertrust.server.testing.TestChain;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import com.rendertrust.server.testing.TestWallets;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * Token deposits end to end on a real anvil: the server deploys RTK and Deposits (treasury key),
 * a wallet approves and deposits with the user's reference, the watcher credits it once after
 * the confirmations, across restarts and re-read ranges; a reorganised deposit and one to an
 * unknown reference are never credited.
 */
class TokenDepositsTest {

  private static final int CONFIRMATIONS = 3;
  private static final BigInteger TWO_TOKENS = TokenContracts.ONE_TOKEN.multiply(BigInteger.TWO);

  private TestChain chain;
  private TestServer server;
  private ChainClient depositor;

  @BeforeEach
  void start() {
    chain = TestChain.start();
    // passes are driven by the test (the schedule's first pass deploys the contracts)
    ServerConfig config = TestServer.freshConfig()
        .withChain(ChainConfig.disabled().withRpcUrl(chain.rpcUrl()).withPollInterval(Duration.ofHours(1)))
        .withTokens(TokensConfig.defaults().withConfirmations(CONFIRMATIONS).withPolling(Duration.ofHours(1), 2));
    server = TestServer.start(config);
    depositor = ChainClient.connect(chain.rpcUrl(), TestWallets.ANVIL_KEY_2, Duration.ofSeconds(10));
  }

  @AfterEach
  void stop() {
    depositor.close();
    server.close();
    chain.close();
  }

  @Test
  void aTwoTokenDepositCreditsTwoCreditsOnceEvenWhenTheWorkerRestartsMidRange() {
    TestUser user = TestUsers.register(server);
    JsonNode info = depositInfo(user);
    assertThat(info.get("chain_id").asLong()).isEqualTo(31337);
    assertThat(info.get("rpc_url").asText()).isEqualTo(chain.rpcUrl());
    assertThat(info.get("credits_per_token").asText()).isEqualTo("1.0000");
    assertThat(info.get("confirmations").asInt()).isEqualTo(CONFIRMATIONS);
    assertThat(info.get("reference").asText()).matches("0x[0-9a-f]{64}")
        .isEqualTo(depositInfo(user).get("reference").asText());
    String token = info.get("token_address").asText();
    String treasury = Credentials.create(ChainMoney.DEV_TREASURY_KEY).getAddress();
    BigInteger treasuryBefore = tokenBalance(token, treasury);

    String txHash = deposit(info, info.get("reference").asText(), TWO_TOKENS);
    awaitStatus(user, "PENDING");
    JsonNode pending = deposits(user).get("deposits").get(0);
    assertThat(pending.get("tx_hash").asText()).isEqualTo(txHash);
    assertThat(pending.get("status").asText()).isEqualTo("PENDING");
    assertThat(pending.get("token_amount").asText()).isEqualTo("2");
    assertThat(pending.get("credits").asText()).isEqualTo("2.0000");
    assertThat(server.controlPlane().credits().balance(user.id()).toWire()).isEqualTo("0.0000");

    // the worker restarts (a new server on the same database) and its cursor is back before
    // the deposit's block, as if the last commit of a range had been lost
    ServerConfig config = server.config();
    server.close();
    chain.mine(CONFIRMATIONS);
    server = TestServer.start(config);
    rewindCursor(0);
    awaitStatus(user, "CONFIRMED");
    rewindCursor(0);
    for (int i = 0; i < 5; i++) {
      watcher().runOnce();
    }

    assertThat(server.controlPlane().credits().balance(user.id()).toWire()).isEqualTo("2.0000");
    List<JsonNode> history = new java.util.ArrayList<>();
    Json.parse(server.get("/api/v1/credits/history", user.authHeader()).body()).get("entries").forEach(history::add);
    assertThat(history).hasSize(1);
    assertThat(history.get(0).get("source").asText()).isEqualTo("DEPOSIT");
    assertThat(history.get(0).get("amount").asText()).isEqualTo("2.0000");
    assertThat(dsl().fetchCount(DEPOSITS)).isEqualTo(1);
    assertThat(tokenBalance(token, treasury)).as("the tokens went to the treasury")
        .isEqualTo(treasuryBefore.add(TWO_TOKENS));
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void aReorganisedDepositIsMarkedReorgedAndNeverCredited() {
    TestUser user = TestUsers.register(server);
    JsonNode info = depositInfo(user);
    String snapshot = chain.call("evm_snapshot").asText();
    String txHash = deposit(info, info.get("reference").asText(), TWO_TOKENS);
    awaitStatus(user, "PENDING");

    // the deposit's blocks are replaced by others without it
    assertThat(chain.call("evm_revert", snapshot).asBoolean()).isTrue();
    chain.mine(CONFIRMATIONS + 3);
    awaitStatus(user, "REORGED");
    for (int i = 0; i < 5; i++) {
      watcher().runOnce();
    }

    assertThat(chain.mined(txHash)).isFalse();
    assertThat(deposits(user).get("deposits").get(0).get("status").asText()).isEqualTo("REORGED");
    assertThat(server.controlPlane().credits().balance(user.id()).toWire()).isEqualTo("0.0000");
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void aDepositToAnUnknownReferenceIsRecordedButCreditedToNoOne() {
    TestUser user = TestUsers.register(server);
    JsonNode info = depositInfo(user);
    String stranger = "0x" + "ab".repeat(32);
    deposit(info, stranger, TokenContracts.ONE_TOKEN);
    chain.mine(CONFIRMATIONS);
    Instant deadline = Instant.now().plusSeconds(60);
    while (dsl().fetchCount(DEPOSITS, DEPOSITS.STATUS.eq("UNKNOWN_REFERENCE")) == 0
        && Instant.now().isBefore(deadline)) {
      watcher().runOnce();
    }
    assertThat(dsl().fetchOne(DEPOSITS).getStatus()).isEqualTo("UNKNOWN_REFERENCE");
    assertThat(dsl().fetchOne(DEPOSITS).getUserId()).isNull();
    assertThat(deposits(user).get("count").asInt()).isZero();
    assertThat(server.controlPlane().credits().balance(user.id()).toWire()).isEqualTo("0.0000");
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void depositsListsOnlyTheCallersAndRefusesABadPage() {
    TestUser user = TestUsers.register(server);
    assertThat(server.get("/api/v1/credits/deposits?limit=0", user.authHeader()).statusCode()).isEqualTo(422);
    assertThat(server.get("/api/v1/credits/deposits?offset=-1", user.authHeader()).statusCode()).isEqualTo(422);
    assertThat(server.get("/api/v1/credits/deposits").statusCode()).isEqualTo(401);
    assertThat(deposits(user).get("count").asInt()).isZero();
  }

  private DepositWatcher watcher() {
    return server.controlPlane().chainMoney().depositWatcher().orElseThrow();
  }

  private JsonNode depositInfo(TestUser user) {
    HttpResponse<String> response = awaitOk(() -> server.get("/api/v1/credits/deposit-info", user.authHeader()));
    return Json.parse(response.body());
  }

  private JsonNode deposits(TestUser user) {
    HttpResponse<String> response = server.get("/api/v1/credits/deposits", user.authHeader());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body());
  }

  /** deposit-info answers 503 until the first pass deployed the contracts. */
  private HttpResponse<String> awaitOk(Supplier<HttpResponse<String>> call) {
    Instant deadline = Instant.now().plusSeconds(60);
    HttpResponse<String> response = call.get();
    while (response.statusCode() == 503 && Instant.now().isBefore(deadline)) {
      watcher().runOnce();
      response = call.get();
    }
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response;
  }

  private void awaitStatus(TestUser user, String status) {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      watcher().runOnce();
      JsonNode list = deposits(user).get("deposits");
      if (!list.isEmpty() && list.get(0).get("status").asText().equals(status)) {
        return;
      }
    }
    throw new AssertionError("deposit never became " + status + ": " + deposits(user));
  }

  private void rewindCursor(long block) {
    dsl().update(DEPOSIT_CURSORS).set(DEPOSIT_CURSORS.NEXT_BLOCK, block).execute();
  }

  /** approve + deposit(reference, amount) from anvil account #2; the deposit's tx hash. */
  private String deposit(JsonNode info, String reference, BigInteger amount) {
    String token = info.get("token_address").asText();
    String contract = info.get("deposit_contract").asText();
    send(token, FunctionEncoder.encode(new Function("approve",
        List.of(new Address(contract), new Uint256(amount)), List.of())));
    return send(contract, FunctionEncoder.encode(new Function("deposit",
        List.of(new Bytes32(Numeric.hexStringToByteArray(reference)), new Uint256(amount)), List.of())));
  }

  private String send(String to, String data) {
    ChainClient.SignedTransaction signed = depositor.signCall(to, depositor.nonce(true), depositor.gasPrice(),
        BigInteger.valueOf(300_000), data);
    assertThat(depositor.broadcast(signed.raw()).outcome()).isEqualTo(ChainClient.BroadcastOutcome.ACCEPTED);
    // anvil mines at once, but a loaded machine may answer the receipt a moment later
    var receipt = depositor.receipt(signed.hash());
    for (int attempt = 0; attempt < 100 && receipt.isEmpty(); attempt++) {
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      receipt = depositor.receipt(signed.hash());
    }
    assertThat(receipt.orElseThrow().succeeded()).isTrue();
    return signed.hash();
  }

  private BigInteger tokenBalance(String token, String owner) {
    return TokenContracts.decodeUint(depositor.callContract(token, TokenContracts.balanceOfCall(owner)));
  }

  private DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
