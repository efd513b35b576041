package com.rendertrust.server.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.ledger.LedgerLeaf.Direction;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The canonical leaf encoding, pinned by golden vectors computed independently with the Python
 * reference in docs/ledger.md, "Canonical leaf encoding" (hashlib/struct, not this code).
 */
class LedgerLeafTest {

  private static final HexFormat HEX = HexFormat.of();
  private static final UUID ENTRY = UUID.fromString("0b6f1c1e-5d3a-4c8e-9f7a-2d4b6a8c0e12");
  private static final UUID OWNER = UUID.fromString("5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d");

  private static LedgerLeaf usage() {
    return new LedgerLeaf(ENTRY, OWNER, 100_000, Direction.DEBIT, "USAGE", "job-7f3a", 9_900_000,
        "Render job 7f3a \u2014 4K frame", Instant.parse("2026-11-23T05:41:07.123456Z"));
  }

  @Test
  void encodingMatchesTheDocumentedLayout() {
    assertThat(HEX.formatHex(usage().encode())).isEqualTo(
        "01" + "0b6f1c1e5d3a4c8e9f7a2d4b6a8c0e12" + "5a1d2c3b4e5f4a6b8c7d9e0f1a2b3c4d"
            + "00000000000186a0" + "02" + "0000000000970fe0" + "000660eb0a540500"
            + "00000005" + "5553414745"
            + "01" + "00000008" + "6a6f622d37663361"
            + "01" + "0000001c" + "52656e646572206a6f62203766336120e2809420344b206672616d65");
    assertThat(HEX.formatHex(usage().leafHash()))
        .isEqualTo("3a26f996c823c6e5d32111e1749e716927c204b9b018bb52c2612f1ac435b82f");
  }

  @Test
  void absentOptionalFieldsAndTimesBeforeTheEpoch() {
    LedgerLeaf purchase = new LedgerLeaf(ENTRY, OWNER, 1_000_000, Direction.CREDIT, "PURCHASE", null, 10_000_000,
        null, Instant.parse("1969-12-31T23:59:59.999999Z"));
    assertThat(HEX.formatHex(purchase.encode())).isEqualTo(
        "010b6f1c1e5d3a4c8e9f7a2d4b6a8c0e125a1d2c3b4e5f4a6b8c7d9e0f1a2b3c4d00000000000f4240010000000000989680"
            + "ffffffffffffffff0000000850555243484153450000");
    assertThat(HEX.formatHex(purchase.leafHash()))
        .isEqualTo("269a71300fb41a86e319eb2ac181c2d1c1c9c1ffddb132af4bed478059c75d02");
  }

  @Test
  void everyFieldChangesTheLeaf() {
    LedgerLeaf base = usage();
    byte[] hash = base.leafHash();
    LedgerLeaf[] variants = {
        new LedgerLeaf(UUID.randomUUID(), OWNER, base.amount(), base.direction(), base.source(), base.referenceId(),
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, UUID.randomUUID(), base.amount(), base.direction(), base.source(), base.referenceId(),
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount() + 1, base.direction(), base.source(), base.referenceId(),
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), Direction.CREDIT, base.source(), base.referenceId(),
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), "REFUND", base.referenceId(),
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), base.source(), null,
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), base.source(), "",
            base.balanceAfter(), base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), base.source(), base.referenceId(),
            base.balanceAfter() - 1, base.description(), base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), base.source(), base.referenceId(),
            base.balanceAfter(), base.description() + ".", base.createdAt()),
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), base.source(), base.referenceId(),
            base.balanceAfter(), base.description(), base.createdAt().plusNanos(1_000)),
        // Length prefixes keep field boundaries unambiguous: moving characters between fields changes the leaf.
        new LedgerLeaf(ENTRY, OWNER, base.amount(), base.direction(), "USAGEj", "ob-7f3a",
            base.balanceAfter(), base.description(), base.createdAt()),
    };
    for (LedgerLeaf variant : variants) {
      assertThat(variant.leafHash()).as(variant.toString()).isNotEqualTo(hash);
    }
  }

  @Test
  void rejectsValuesThatWouldNotRoundTripThroughThePublicRow() {
    assertThatThrownBy(() -> new LedgerLeaf(ENTRY, OWNER, 0, Direction.CREDIT, "PURCHASE", null, 0, null,
        Instant.EPOCH)).hasMessageContaining("positive");
    assertThatThrownBy(() -> new LedgerLeaf(ENTRY, OWNER, 1, Direction.CREDIT, "PURCHASE", null, 0, null,
        Instant.parse("2026-01-01T00:00:00.000000001Z"))).hasMessageContaining("microsecond");
  }
}
