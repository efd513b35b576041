package com.rendertrust.server.tokens;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.PAYOUTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.rendertrust.sdk.InsufficientCreditsException;
import com.rendertrust.sdk.Operators;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.ValidationException;
import com.rendertrust.server.credits.CreditAmount;
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
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * Operator payouts end to end on a real anvil: earnings move to payouts clearing when asked, one
 * ERC-20 transfer from the treasury (anvil #1) pays the wallet, exactly once across a crash
 * between signing and confirmation.
 */
class PayoutsTest {

  private static final int CONFIRMATIONS = 2;
  private static final BigInteger HALF_TOKEN = TokenContracts.ONE_TOKEN.divide(BigInteger.TWO);

  private TestChain chain;
  private TestServer server;
  private ChainClient reader;

  @BeforeEach
  void start() {
    chain = TestChain.start();
    ServerConfig config = TestServer.freshConfig()
        .withChain(ChainConfig.disabled().withRpcUrl(chain.rpcUrl()))
        .withTokens(TokensConfig.defaults().withConfirmations(CONFIRMATIONS).withPolling(Duration.ofHours(1), 100));
    server = TestServer.start(config);
    reader = ChainClient.connect(chain.rpcUrl(), com.rendertrust.server.testing.TestWallets.ANVIL_KEY_3,
        Duration.ofSeconds(10));
    server.controlPlane().chainMoney().depositWatcher().orElseThrow().runOnce(); // deploys the token
  }

  @AfterEach
  void stop() {
    reader.close();
    server.close();
    chain.close();
  }

  @Test
  void aHalfCreditPayoutReachesConfirmedAndTheWalletHoldsHalfAToken() throws Exception {
    TestUser operator = operatorEarning70Cents();
    String wallet = Keys.toChecksumAddress(Credentials.create(Keys.createEcKeyPair()).getAddress());

    HttpResponse<String> created = payout(operator, "0.5000", wallet, "payout-1");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode payout = Json.parse(created.body()).get("payout");
    assertThat(payout.get("status").asText()).isEqualTo("PENDING");
    assertThat(payout.get("tx_hash").isNull()).isTrue();
    assertThat(payout.get("amount").asText()).isEqualTo("0.5000");
    assertThat(payout.get("token_amount").asText()).isEqualTo("0.5");
    assertThat(payout.get("wallet_address").asText()).isEqualTo(wallet);
    assertThat(earnings(operator)).as("moved out of earnings when asked").isEqualTo("0.2000");
    JsonNode again = Json.parse(payout(operator, "0.5000", wallet, "payout-1").body()).get("payout");
    assertThat(again.get("id").asText()).as("idempotent by reference_id").isEqualTo(payout.get("id").asText());
    assertThat(payout(operator, "0.3000", wallet, "payout-2").statusCode()).as("earnings short").isEqualTo(402);
    assertThat(payout(operator, "0.1000", wallet, "payout-1").statusCode()).as("reference reused").isEqualTo(409);
    for (String[] bad : new String[][] {{"0.1000", "0x1234"}, {"0.1000", wallet.replace("0x", "")},
        {"0", wallet}, {"-1", wallet}, {"0.00001", wallet}, {"abc", wallet}}) {
      assertThat(payout(operator, bad[0], bad[1], "bad-" + UUID.randomUUID()).statusCode()).as("%s %s", bad[0], bad[1])
          .isEqualTo(422);
    }
    assertThat(dsl().fetchCount(PAYOUTS)).isEqualTo(1);

    awaitStatus(operator, "CONFIRMED");

    assertThat(tokenBalance(wallet)).isEqualTo(HALF_TOKEN);
    JsonNode listed = Json.parse(server.get("/api/v1/operator/payouts", operator.authHeader()).body());
    assertThat(listed.get("count").asInt()).isEqualTo(1);
    assertThat(listed.get("payouts").get(0).get("tx_hash").asText()).matches("0x[0-9a-f]{64}");
    assertThat(earnings(operator)).isEqualTo("0.2000");
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void aCrashBetweenSigningAndConfirmationNeitherPaysTwiceNorLosesThePayout() throws Exception {
    TestUser operator = operatorEarning70Cents();
    String wallet = Keys.toChecksumAddress(Credentials.create(Keys.createEcKeyPair()).getAddress());
    chain.setAutomine(false);
    assertThat(payout(operator, "0.5000", wallet, "crash-1").statusCode()).isEqualTo(201);
    worker().runOnce(); // signs, records, broadcasts; not mined
    String txHash = dsl().fetchOne(PAYOUTS).getTxHash();
    assertThat(dsl().fetchOne(PAYOUTS).getStatus()).isEqualTo("SUBMITTED");
    assertThat(chain.knows(txHash)).isTrue();

    // the process dies before the transfer is mined, and the node loses the broadcast
    ServerConfig config = server.config();
    server.close();
    chain.dropTransaction(txHash);
    assertThat(chain.knows(txHash)).isFalse();
    server = TestServer.start(config);

    worker().runOnce(); // resends the recorded bytes (same nonce, same hash)
    assertThat(chain.knows(txHash)).isTrue();
    chain.setAutomine(true);
    chain.mine(CONFIRMATIONS);
    awaitStatus(operator, "CONFIRMED");
    for (int i = 0; i < 3; i++) {
      chain.mine(1);
      worker().runOnce();
    }

    assertThat(dsl().fetchOne(PAYOUTS).getTxHash()).isEqualTo(txHash);
    assertThat(chain.mined(txHash)).isTrue();
    assertThat(tokenBalance(wallet)).as("paid exactly once").isEqualTo(HALF_TOKEN);
    assertThat(earnings(operator)).isEqualTo("0.2000");
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void aPayoutWhoseNonceAnotherTransactionTookFailsAndReturnsTheAmountToTheEarnings() throws Exception {
    TestUser operator = operatorEarning70Cents();
    String wallet = Keys.toChecksumAddress(Credentials.create(Keys.createEcKeyPair()).getAddress());
    chain.setAutomine(false);
    assertThat(payout(operator, "0.5000", wallet, "taken-1").statusCode()).isEqualTo(201);
    worker().runOnce();
    long nonce = dsl().fetchOne(PAYOUTS).getNonce();

    // someone else with the treasury key replaces it (same nonce, higher gas price)
    try (ChainClient intruder = ChainClient.connect(chain.rpcUrl(), ChainMoney.DEV_TREASURY_KEY,
        Duration.ofSeconds(10))) {
      ChainClient.SignedTransaction replacement = intruder.signCall(wallet, nonce,
          intruder.gasPrice().multiply(BigInteger.TEN), BigInteger.valueOf(21_000), "0x");
      assertThat(intruder.broadcast(replacement.raw()).outcome()).isEqualTo(ChainClient.BroadcastOutcome.ACCEPTED);
    }
    chain.setAutomine(true);
    chain.mine(1);
    awaitStatus(operator, "FAILED");

    assertThat(tokenBalance(wallet)).isZero();
    assertThat(earnings(operator)).as("returned to the earnings").isEqualTo("0.7000");
    assertThat(dsl().fetchOne(PAYOUTS).getLastError()).contains("nonce");
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void theJavaSdkPaysOutAndListsThePayoutUntilItIsConfirmed() throws Exception {
    RenderTrustClient operator = RenderTrustClient.create(server.channel());
    operator.register("sdk-payout-" + UUID.randomUUID() + "@example.com", "Otto", "correct-horse-battery");
    UUID operatorId = UUID.fromString(operator.balance().userId());
    TestUser creator = TestUsers.register(server);
    server.controlPlane().credits().adjust(creator.id(), CreditAmount.ofCredits(10), "fund-" + creator.id(), "test");
    UUID job = UUID.randomUUID();
    server.controlPlane().jobHolds().hold(job, creator.id(), CreditAmount.ofCredits(1));
    server.controlPlane().jobHolds().capture(job, operatorId);
    String wallet = Keys.toChecksumAddress(Credentials.create(Keys.createEcKeyPair()).getAddress());

    Operators.Payout payout = operator.operators().payout(new BigDecimal("0.5"), wallet, "sdk-payout-1");
    assertThat(payout.status()).isEqualTo("PENDING");
    assertThat(payout.amount()).isEqualByComparingTo("0.5");
    assertThat(operator.operators().payout(new BigDecimal("0.5"), wallet, "sdk-payout-1").id()).isEqualTo(payout.id());
    assertThatThrownBy(() -> operator.operators().payout(new BigDecimal("0.3"), wallet, "sdk-payout-2"))
        .isInstanceOf(InsufficientCreditsException.class);
    assertThatThrownBy(() -> operator.operators().payout(new BigDecimal("0.1"), "0x1234", "sdk-payout-3"))
        .isInstanceOf(ValidationException.class);
    Instant deadline = Instant.now().plusSeconds(60);
    while (!"CONFIRMED".equals(operator.operators().payouts(10, 0).getFirst().status())
        && Instant.now().isBefore(deadline)) {
      worker().runOnce();
      chain.mine(1);
    }
    assertThat(operator.operators().payouts(10, 0)).singleElement().satisfies(confirmed -> {
      assertThat(confirmed.status()).isEqualTo("CONFIRMED");
      assertThat(confirmed.txHash()).matches("0x[0-9a-f]{64}");
    });
    assertThat(tokenBalance(wallet)).isEqualTo(HALF_TOKEN);
    assertThat(operator.operators().earnings().balance()).isEqualByComparingTo("0.2");
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  @Test
  void aPayoutNeedsASessionAndOwnsNothingOfOthers() {
    TestUser other = TestUsers.register(server);
    assertThat(server.postJson("/api/v1/operator/payouts", "{}").statusCode()).isEqualTo(401);
    JsonNode listed = Json.parse(server.get("/api/v1/operator/payouts", other.authHeader()).body());
    assertThat(listed.get("count").asInt()).isZero();
    assertThat(payout(other, "0.1000", "0x" + "1".repeat(40), "r").statusCode()).as("no earnings").isEqualTo(402);
    LedgerAssertions.assertLedgerInvariants(dsl());
  }

  /** An operator whose node completed a 1-credit job: 0.7000 of earnings (70 %). */
  private TestUser operatorEarning70Cents() {
    TestUser creator = TestUsers.register(server);
    TestUser operator = TestUsers.register(server);
    server.controlPlane().credits().adjust(creator.id(), CreditAmount.ofCredits(10), "fund-" + creator.id(), "test");
    UUID job = UUID.randomUUID();
    server.controlPlane().jobHolds().hold(job, creator.id(), CreditAmount.ofCredits(1));
    server.controlPlane().jobHolds().capture(job, operator.id());
    assertThat(earnings(operator)).isEqualTo("0.7000");
    return operator;
  }

  private HttpResponse<String> payout(TestUser operator, String amount, String wallet, String reference) {
    return server.postJson("/api/v1/operator/payouts", JsonNodeFactory.instance.objectNode()
        .put("amount", amount).put("wallet_address", wallet).put("reference_id", reference).toString(),
        operator.authHeader());
  }

  private void awaitStatus(TestUser operator, String status) {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      worker().runOnce();
      JsonNode listed = Json.parse(server.get("/api/v1/operator/payouts", operator.authHeader()).body());
      if (listed.get("payouts").get(0).get("status").asText().equals(status)) {
        return;
      }
      chain.mine(1);
    }
    throw new AssertionError("payout never became " + status + ": " + dsl().fetch(PAYOUTS));
  }

  private PayoutWorker worker() {
    return server.controlPlane().chainMoney().payoutWorker().orElseThrow();
  }

  private String earnings(TestUser operator) {
    Long units = dsl().select(CREDIT_ACCOUNTS.BALANCE).from(CREDIT_ACCOUNTS)
        .where(CREDIT_ACCOUNTS.OWNER_ID.eq(operator.id()), CREDIT_ACCOUNTS.KIND.eq("OPERATOR_EARNINGS"))
        .fetchOptional().map(r -> r.value1()).orElse(0L);
    return new CreditAmount(units).toWire();
  }

  private BigInteger tokenBalance(String owner) {
    String token = server.controlPlane().database().dsl().fetchValue(
        "select token_address from token_contracts limit 1").toString();
    return TokenContracts.decodeUint(reader.callContract(token, TokenContracts.balanceOfCall(owner)));
  }

  private DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
