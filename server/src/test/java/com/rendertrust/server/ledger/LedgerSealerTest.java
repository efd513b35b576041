package com.rendertrust.server.ledger;

import static com.rendertrust.server.db.Tables.ANCHOR_BATCHES;
import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.LEDGER_ENTRY_BATCHES;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.SystemAccounts;
import com.rendertrust.server.ledger.anchor.AnchorRepository;
import com.rendertrust.server.ledger.anchor.BatchSealer.SealedBatch;
import com.rendertrust.server.ledger.anchor.MerkleBatchSealer;
import com.rendertrust.server.ledger.merkle.MerkleTree;
import com.rendertrust.server.testing.LedgerAssertions;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUsers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * The ledger sealer on real PostgreSQL (anchoring off, sealers driven directly): batches by size
 * and by interval, and under concurrent, late-committing and rolled-back transactions with two
 * sealers racing, every user entry ends up in exactly one batch, at the right leaf.
 */
class LedgerSealerTest {

  private static final HexFormat HEX = HexFormat.of();

  private static LedgerSealer sealer(DSLContext dsl, Duration interval, int maxEntries, Clock clock) {
    return new LedgerSealer(dsl, new MerkleBatchSealer(new AnchorRepository(dsl), clock), interval, maxEntries, clock);
  }

  @Test
  void sealsWhenFullOrWhenTheOldestEntryHasWaitedAnInterval() {
    try (TestServer server = TestServer.start()) {
      DSLContext dsl = server.controlPlane().database().dsl();
      CreditService credits = server.controlPlane().credits();
      UUID user = TestUsers.register(server).id();
      MutableClock clock = new MutableClock(Instant.now());
      LedgerSealer sealer = sealer(dsl, Duration.ofMinutes(1), 2, clock);

      assertThat(sealer.sealIfDue()).as("nothing to seal").isEmpty();
      credits.adjust(user, CreditAmount.ofCredits(10), "a", "one");
      assertThat(sealer.sealIfDue()).as("one entry, not waited an interval").isEmpty();
      for (int i = 0; i < 4; i++) {
        credits.adjust(user, CreditAmount.ofCredits(-1), "d" + i, null);
      }
      SealedBatch first = sealer.sealIfDue().orElseThrow();
      SealedBatch second = sealer.sealIfDue().orElseThrow();
      assertThat(first.entryCount()).isEqualTo(2);
      assertThat(second.entryCount()).isEqualTo(2);
      assertThat(sealer.sealIfDue()).as("one left, not due yet").isEmpty();
      clock.advance(Duration.ofMinutes(1).plusSeconds(5));
      assertThat(sealer.sealIfDue()).hasValueSatisfying(b -> assertThat(b.entryCount()).isEqualTo(1));
      assertThat(sealer.sealIfDue()).isEmpty();

      assertEveryUserEntrySealedOnceAtItsLeaf(dsl);
      LedgerAssertions.assertLedgerInvariants(dsl);
    }
  }

  @Test
  void concurrentLateAndRolledBackTransactionsNeverSkipOrDoubleSealAnEntry() throws Exception {
    try (TestServer server = TestServer.start()) {
      DSLContext dsl = server.controlPlane().database().dsl();
      CreditService credits = server.controlPlane().credits();
      List<UUID> users = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        users.add(TestUsers.register(server).id());
      }
      Map<UUID, UUID> userAccounts = new HashMap<>();
      for (UUID user : users) {
        credits.adjust(user, CreditAmount.ofCredits(1), "open", "opening grant");
        userAccounts.put(user, dsl.select(CREDIT_ACCOUNTS.ID).from(CREDIT_ACCOUNTS)
            .where(CREDIT_ACCOUNTS.OWNER_ID.eq(user).and(CREDIT_ACCOUNTS.KIND.eq("USER"))).fetchSingle().value1());
      }
      // Two replicas' sealers racing: the advisory lock lets one seal at a time.
      List<LedgerSealer> sealers = List.of(sealer(dsl, Duration.ofMillis(1), 7, Clock.systemUTC()),
          sealer(dsl, Duration.ofMillis(1), 7, Clock.systemUTC()));
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger rolledBack = new AtomicInteger();
      AtomicInteger sealedBatches = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          UUID user = users.get(w);
          boolean late = w % 2 == 0;
          writers.add(pool.submit(() -> {
            for (int i = 0; i < 30; i++) {
              if (!late) {
                credits.adjust(user, CreditAmount.ofCredits(1), "fast-" + i, "fast " + i);
                continue;
              }
              int n = i;
              boolean rollBack = n % 5 == 4;
              try {
                dsl.transaction(cfg -> {
                  postAdjustmentWithoutCommitting(DSL.using(cfg), userAccounts.get(user), n);
                  // Hold the numbered entry uncommitted while others commit later numbers.
                  Thread.sleep(ThreadLocalRandom.current().nextInt(20, 120));
                  if (rollBack) {
                    throw new IllegalStateException("roll back");
                  }
                });
              } catch (RuntimeException e) {
                if (!rollBack) {
                  throw e;
                }
                rolledBack.incrementAndGet();
              }
            }
            return null;
          }));
        }
        List<Future<?>> sealerRuns = new ArrayList<>();
        for (LedgerSealer sealer : sealers) {
          sealerRuns.add(pool.submit(() -> {
            while (writing.get()) {
              sealer.sealNow().ifPresent(b -> sealedBatches.incrementAndGet());
            }
            return null;
          }));
        }
        for (Future<?> writer : writers) {
          writer.get();
        }
        writing.set(false);
        for (Future<?> run : sealerRuns) {
          run.get();
        }
      } finally {
        pool.shutdownNow();
      }
      Optional<SealedBatch> more;
      while ((more = sealers.getFirst().sealNow()).isPresent()) {
        sealedBatches.incrementAndGet();
      }

      assertThat(rolledBack.get()).isEqualTo(12);
      int userEntries = dsl.fetchCount(CREDIT_ENTRIES.join(CREDIT_ACCOUNTS).on(CREDIT_ACCOUNTS.ID.eq(CREDIT_ENTRIES.ACCOUNT_ID)
          .and(CREDIT_ACCOUNTS.KIND.eq("USER"))));
      assertThat(userEntries).isEqualTo(4 + 4 * 30 - 12);
      assertThat(sealedBatches.get()).as("batches of at most 7").isGreaterThanOrEqualTo(userEntries / 7);
      assertEveryUserEntrySealedOnceAtItsLeaf(dsl);
      LedgerAssertions.assertLedgerInvariants(dsl);
    }
  }

  /** Posts ADJUSTMENTS -> user the way the credit service does (credit_post), inside {@code tx}. */
  private static void postAdjustmentWithoutCommitting(DSLContext tx, UUID userAccount, int n) {
    tx.fetch("SELECT * FROM credit_post(?, ?, ?, ?, 'ADJUSTMENT', 'ADMIN', ?, ?, ?, ?, ?)",
        UUID.randomUUID(), SystemAccounts.ADJUSTMENTS, userAccount, 20_000L, userAccount, "late-" + n, "late " + n,
        UUID.randomUUID(), UUID.randomUUID());
  }

  /**
   * Every user-account entry is in exactly one batch; each batch's leaves are its entries in
   * sequence order, recomputed from their rows; batch ranges tile the sequence space.
   */
  private static void assertEveryUserEntrySealedOnceAtItsLeaf(DSLContext dsl) {
    List<UUID> unsealed = LedgerLeafRows.select(dsl, List.of())
        .leftJoin(LEDGER_ENTRY_BATCHES).on(LEDGER_ENTRY_BATCHES.ENTRY_ID.eq(CREDIT_ENTRIES.ID))
        .where(LEDGER_ENTRY_BATCHES.ENTRY_ID.isNull())
        .fetch(CREDIT_ENTRIES.ID);
    assertThat(unsealed).as(() -> "user entries in no batch: seqs " + dsl.select(CREDIT_ENTRIES.SEQ).from(CREDIT_ENTRIES)
        .where(CREDIT_ENTRIES.ID.in(unsealed)).fetch(CREDIT_ENTRIES.SEQ) + " batches " + dsl.select(ANCHOR_BATCHES.FIRST_SEQUENCE,
        ANCHOR_BATCHES.LAST_SEQUENCE, ANCHOR_BATCHES.ENTRY_COUNT).from(ANCHOR_BATCHES).orderBy(ANCHOR_BATCHES.ID).fetch().formatCSV())
        .isEmpty();
    assertThat(dsl.fetchCount(LEDGER_ENTRY_BATCHES.join(CREDIT_ENTRIES).on(CREDIT_ENTRIES.ID.eq(LEDGER_ENTRY_BATCHES.ENTRY_ID))
        .join(CREDIT_ACCOUNTS).on(CREDIT_ACCOUNTS.ID.eq(CREDIT_ENTRIES.ACCOUNT_ID).and(CREDIT_ACCOUNTS.KIND.ne("USER")))))
        .as("system entries are not leaves").isZero();

    long expectedFirst = 1;
    for (var batch : dsl.selectFrom(ANCHOR_BATCHES).orderBy(ANCHOR_BATCHES.FIRST_SEQUENCE).fetch()) {
      assertThat(batch.getFirstSequence()).as("ranges tile the sequence space").isEqualTo(expectedFirst);
      expectedFirst = batch.getLastSequence() + 1;
      List<Record> leaves = LedgerLeafRows.select(dsl, List.of(LEDGER_ENTRY_BATCHES.LEAF_INDEX))
          .join(LEDGER_ENTRY_BATCHES).on(LEDGER_ENTRY_BATCHES.ENTRY_ID.eq(CREDIT_ENTRIES.ID))
          .where(LEDGER_ENTRY_BATCHES.BATCH_ID.eq(batch.getId()))
          .orderBy(LEDGER_ENTRY_BATCHES.LEAF_INDEX)
          .fetch();
      assertThat(leaves).hasSize(batch.getEntryCount());
      List<byte[]> recomputed = new ArrayList<>();
      long previousSequence = batch.getFirstSequence() - 1;
      for (int i = 0; i < leaves.size(); i++) {
        Record leaf = leaves.get(i);
        assertThat(leaf.get(LEDGER_ENTRY_BATCHES.LEAF_INDEX)).isEqualTo(i);
        long sequence = LedgerLeafRows.sequence(leaf);
        assertThat(sequence).isGreaterThan(previousSequence).isLessThanOrEqualTo(batch.getLastSequence());
        previousSequence = sequence;
        recomputed.add(LedgerLeafRows.leaf(leaf).leafHash());
      }
      byte[] stored = batch.getLeafHashes();
      for (int i = 0; i < recomputed.size(); i++) {
        assertThat(HEX.formatHex(stored, i * 32, i * 32 + 32)).isEqualTo(HEX.formatHex(recomputed.get(i)));
      }
      assertThat(MerkleTree.ofLeafHashes(recomputed).root()).isEqualTo(batch.getMerkleRoot());
    }
  }
}
