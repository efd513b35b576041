package com.rendertrust.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.sdk.LedgerProof;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.ledger.merkle.MerkleVerifier;
import com.rendertrust.server.ledger.merkle.Side;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.LedgerAssertions;
import com.rendertrust.server.testing.TestChain;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/**
 * Proofs and verification (docs/ledger.md), end to end on real PostgreSQL and anvil: credits
 * granted and spent over REST, the ledger sealer batches the user's entries (here: as soon as 3
 * wait), the batch is anchored and FINAL, the proof checks out locally (server verifier and SDK),
 * {@code verify} reads the root from the chain and says true, and says false once the entry's row
 * is altered.
 */
class LedgerProofEndToEndTest {

  private static final HexFormat HEX = HexFormat.of();
  private static final int BATCH_SIZE = 3;

  @Test
  void aSpentEntryIsAnchoredProvableAndTamperEvident() throws Exception {
    try (TestChain anvil = TestChain.start()) {
      // Interval of an hour: only the size trigger seals here, so "not sealed yet" is deterministic.
      ChainConfig chain = ChainConfig.disabled().withRpcUrl(anvil.rpcUrl()).withConfirmations(1)
          .withPollInterval(Duration.ofMillis(100)).withSealing(Duration.ofHours(1), BATCH_SIZE);
      try (TestServer server = TestServer.start(TestServer.freshConfig().withChain(chain))) {
        DSLContext dsl = server.controlPlane().database().dsl();
        TestUser alice = TestUsers.register(server);
        TestUser mallory = TestUsers.register(server);
        server.controlPlane().credits().adjust(alice.id(), CreditAmount.ofCredits(100), "seed", "Welcome grant");

        JsonNode spent = Json.parse(expect(200, server.postJson("/api/v1/credits/deduct",
            "{\"amount\":\"12.5000\",\"reference_id\":\"job-1\",\"description\":\"Render job 1\"}",
            alice.authHeader())));
        String entryId = spent.get("id").asText();

        // Two user entries wait, the batch needs three: not sealed, so not anchored.
        JsonNode notSealed = Json.parse(expect(409, server.get("/api/v1/ledger/" + entryId + "/proof", alice.authHeader())));
        assertThat(notSealed.get("detail").asText()).contains("not anchored yet");
        expect(409, server.get("/api/v1/ledger/" + entryId + "/verify", alice.authHeader()));

        // Another user's entry and a missing one answer alike.
        HttpResponse<String> foreign = server.get("/api/v1/ledger/" + entryId + "/proof", mallory.authHeader());
        HttpResponse<String> missing = server.get("/api/v1/ledger/" + UUID.randomUUID() + "/proof", mallory.authHeader());
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(foreign.body()).isEqualTo(missing.body());
        assertThat(server.get("/api/v1/ledger/not-a-uuid/proof", alice.authHeader()).statusCode()).isEqualTo(404);
        assertThat(server.get("/api/v1/ledger/" + entryId + "/verify", mallory.authHeader()).statusCode()).isEqualTo(404);
        assertThat(server.get("/api/v1/ledger/" + entryId + "/proof").statusCode()).isEqualTo(401);

        expect(200, server.postJson("/api/v1/credits/deduct",
            "{\"amount\":\"0.0001\",\"reference_id\":\"job-2\",\"description\":\"Render job 2\"}", alice.authHeader()));

        JsonNode proof = awaitProof(server, alice, entryId);
        assertThat(proof.get("entry_id").asText()).isEqualTo(entryId);
        assertThat(proof.get("anchor_tx_hash").asText()).startsWith("0x");
        assertThat(proof.get("block_number").asLong()).isPositive();

        // The leaf is recomputable from the history row alone (docs/ledger.md, "Canonical leaf encoding").
        JsonNode history = Json.parse(expect(200, server.get("/api/v1/credits/history", alice.authHeader())));
        JsonNode row = null;
        for (JsonNode candidate : history.get("entries")) {
          if (candidate.get("id").asText().equals(entryId)) {
            row = candidate;
          }
        }
        assertThat(row).as("the spent entry in history").isNotNull();
        assertThat(HEX.formatHex(leafOfHistoryRow(row, alice.id()).leafHash())).isEqualTo(proof.get("leaf").asText());

        List<String> hashes = strings(proof.get("proof_hashes"));
        List<String> directions = strings(proof.get("directions"));
        assertThat(hashes).hasSameSizeAs(directions).hasSize(2);
        assertThat(MerkleVerifier.verifyPath(HEX.parseHex(proof.get("leaf").asText()),
            hashes.stream().map(HEX::parseHex).toList(), directions.stream().map(Side::fromWireName).toList(),
            HEX.parseHex(proof.get("merkle_root").asText()))).isTrue();
        LedgerProof sdkProof = new LedgerProof(entryId, proof.get("leaf").asText(), proof.get("merkle_root").asText(),
            hashes, directions, proof.get("anchor_tx_hash").asText(), proof.get("block_number").asLong());
        assertThat(sdkProof.verifiesLocally()).isTrue();
        List<String> flipped = directions.stream().map(d -> d.equals("left") ? "right" : "left").toList();
        assertThat(new LedgerProof(entryId, sdkProof.leaf(), sdkProof.merkleRoot(), hashes, flipped, null, null)
            .verifiesLocally()).as("a flipped direction").isFalse();

        JsonNode verified = Json.parse(expect(200, server.get("/api/v1/ledger/" + entryId + "/verify", alice.authHeader())));
        assertThat(verified.get("verified").asBoolean()).isTrue();
        assertThat(verified.get("entry_id").asText()).isEqualTo(entryId);
        assertThat(verified.get("merkle_root").asText()).isEqualTo(proof.get("merkle_root").asText());
        assertThat(verified.get("on_chain_root").asText()).isEqualTo(proof.get("merkle_root").asText());
        assertThat(verified.get("tx_hash").asText()).isEqualTo(proof.get("anchor_tx_hash").asText());
        assertThat(verified.get("block_number").asLong()).isEqualTo(proof.get("block_number").asLong());
        assertThat(anvil.mined(verified.get("tx_hash").asText())).isTrue();

        // Tamper with the anchored row in PostgreSQL, past the append-only trigger.
        UUID id = UUID.fromString(entryId);
        alterBalanceAfter(dsl, id, 1);
        JsonNode tampered = Json.parse(expect(200, server.get("/api/v1/ledger/" + entryId + "/verify", alice.authHeader())));
        assertThat(tampered.get("verified").asBoolean()).isFalse();
        assertThat(tampered.get("on_chain_root").asText()).isEqualTo(proof.get("merkle_root").asText());
        assertThat(tampered.get("merkle_root").asText()).isNotEqualTo(proof.get("merkle_root").asText());

        alterTransferDescription(dsl, id, "Render job 1 (edited)");
        alterBalanceAfter(dsl, id, -1);
        assertThat(Json.parse(expect(200, server.get("/api/v1/ledger/" + entryId + "/verify", alice.authHeader())))
            .get("verified").asBoolean()).as("the description is part of the leaf too").isFalse();
        alterTransferDescription(dsl, id, "Render job 1");
        assertThat(Json.parse(expect(200, server.get("/api/v1/ledger/" + entryId + "/verify", alice.authHeader())))
            .get("verified").asBoolean()).as("restored row").isTrue();

        LedgerAssertions.assertLedgerInvariants(dsl);
      }
    }
  }

  private static JsonNode awaitProof(TestServer server, TestUser user, String entryId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpResponse<String> last = null;
    while (System.nanoTime() < deadline) {
      last = server.get("/api/v1/ledger/" + entryId + "/proof", user.authHeader());
      if (last.statusCode() == 200) {
        return Json.parse(last.body());
      }
      assertThat(last.statusCode()).as(last.body()).isEqualTo(409);
      Thread.sleep(100);
    }
    throw new AssertionError("entry never anchored; last answer: " + last.statusCode() + " " + last.body());
  }

  /** The recipe of docs/ledger.md: a history row's fields plus the owner's id. */
  static LedgerLeaf leafOfHistoryRow(JsonNode row, UUID ownerId) {
    return new LedgerLeaf(UUID.fromString(row.get("id").asText()), ownerId, units(row.get("amount").asText()),
        LedgerLeaf.Direction.valueOf(row.get("direction").asText()), row.get("source").asText(),
        textOrNull(row, "reference_id"), units(row.get("balance_after").asText()), textOrNull(row, "description"),
        Instant.parse(row.get("created_at").asText()));
  }

  private static String textOrNull(JsonNode row, String field) {
    JsonNode value = row.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static long units(String credits) {
    return new BigDecimal(credits).movePointRight(4).longValueExact();
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(node -> values.add(node.asText()));
    return values;
  }

  private static void alterBalanceAfter(DSLContext dsl, UUID entryId, long delta) {
    dsl.transaction(cfg -> {
      var tx = org.jooq.impl.DSL.using(cfg);
      tx.execute("ALTER TABLE credit_entries DISABLE TRIGGER credit_entries_append_only");
      tx.execute("UPDATE credit_entries SET balance_after = balance_after + ? WHERE id = ?", delta, entryId);
      tx.execute("ALTER TABLE credit_entries ENABLE TRIGGER credit_entries_append_only");
    });
  }

  private static void alterTransferDescription(DSLContext dsl, UUID entryId, String description) {
    dsl.transaction(cfg -> {
      var tx = org.jooq.impl.DSL.using(cfg);
      tx.execute("ALTER TABLE credit_transfers DISABLE TRIGGER credit_transfers_append_only");
      tx.execute("UPDATE credit_transfers SET description = ? WHERE id = (SELECT transfer_id FROM credit_entries WHERE id = ?)",
          description, entryId);
      tx.execute("ALTER TABLE credit_transfers ENABLE TRIGGER credit_transfers_append_only");
    });
  }

  private static String expect(int status, HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    return response.body();
  }
}
