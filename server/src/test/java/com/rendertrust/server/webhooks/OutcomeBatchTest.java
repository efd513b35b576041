package com.rendertrust.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.webhooks.Delivery.DeliveryStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/**
 * The batched outcome write on the outbox of a database no worker runs on: replica A leases
 * three attempts, its lease runs out, replica B leases the next attempts; A's late batch records
 * nothing, B's batch (a success, a retry, a failure) records each row as B made it.
 */
class OutcomeBatchTest {

  @Test
  void aBatchRecordsOnlyTheAttemptsItsReplicaStillHoldsAndEachRowOnce() {
    try (Database database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 2)) {
      DSLContext dsl = database.dsl();
      Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
      UUID user = UUID.randomUUID();
      Endpoint endpoint = new Endpoint(UUID.randomUUID(), user, "http://127.0.0.1:9/hooks", List.of("job.completed"),
          "test", "whsec_test", Optional.empty(), Optional.empty(), true, Optional.empty(), Optional.empty(), now);
      EndpointRows.insert(dsl, endpoint);
      for (int i = 0; i < 3; i++) {
        DeliveryRows.insertEvent(dsl, "evt_batch_" + i, user, "job.completed", "{}", null, now);
        DeliveryRows.insertDelivery(dsl, endpoint.id(), "evt_batch_" + i, now, now.plus(Duration.ofHours(24)));
      }

      List<Lease> a = byEvent(DeliveryRows.lease(dsl, now, now.plusSeconds(1), 10));
      assertThat(a).hasSize(3).allMatch(lease -> lease.attempt() == 1);
      // A's lease ran out: B leases the same deliveries, attempt 2
      List<Lease> b = byEvent(DeliveryRows.lease(dsl, now.plusSeconds(2), now.plusSeconds(60), 10));
      assertThat(b).hasSize(3).allMatch(lease -> lease.attempt() == 2);
      assertThat(DeliveryRows.lease(dsl, now.plusSeconds(3), now.plusSeconds(60), 10)).as("B holds them").isEmpty();

      Instant late = now.plusSeconds(3);
      List<OutcomeRecorder.Finished> fromA = a.stream().map(lease -> new OutcomeRecorder.Finished(lease,
          DeliveryStatus.SUCCEEDED, late, 200, null, late, () -> { })).toList();
      assertThat(DeliveryRows.finishAll(dsl, fromA)).as("A's attempts went to B: nothing recorded").isEmpty();

      Instant retryAt = now.plusSeconds(30);
      List<OutcomeRecorder.Finished> fromB = List.of(
          new OutcomeRecorder.Finished(b.get(0), DeliveryStatus.SUCCEEDED, late, 204, null, late, () -> { }),
          new OutcomeRecorder.Finished(b.get(1), DeliveryStatus.PENDING, retryAt, 500, "HTTP 500", late, () -> { }),
          new OutcomeRecorder.Finished(b.get(2), DeliveryStatus.FAILED, late, null, "connection refused", late,
              () -> { }));
      assertThat(DeliveryRows.finishAll(dsl, fromB))
          .containsExactlyInAnyOrderElementsOf(b.stream().map(Lease::deliveryId).toList());
      assertThat(DeliveryRows.finishAll(dsl, fromA)).as("A's late batch still records nothing").isEmpty();

      Delivery succeeded = DeliveryRows.byId(dsl, b.get(0).deliveryId()).orElseThrow();
      assertThat(succeeded.status()).isEqualTo(DeliveryStatus.SUCCEEDED);
      assertThat(succeeded.attempts()).isEqualTo(2);
      assertThat(succeeded.responseStatus()).contains(204);
      assertThat(succeeded.lastError()).isEmpty();
      Delivery retried = DeliveryRows.byId(dsl, b.get(1).deliveryId()).orElseThrow();
      assertThat(retried.status()).isEqualTo(DeliveryStatus.PENDING);
      assertThat(retried.nextAttemptAt()).isEqualTo(retryAt);
      assertThat(retried.responseStatus()).contains(500);
      assertThat(retried.lastError()).contains("HTTP 500");
      Delivery failed = DeliveryRows.byId(dsl, b.get(2).deliveryId()).orElseThrow();
      assertThat(failed.status()).isEqualTo(DeliveryStatus.FAILED);
      assertThat(failed.responseStatus()).isEmpty();
      assertThat(failed.lastError()).contains("connection refused");

      // the retry is due again at its time, as attempt 3
      List<Lease> again = DeliveryRows.lease(dsl, retryAt, retryAt.plusSeconds(60), 10);
      assertThat(again).singleElement().satisfies(lease -> {
        assertThat(lease.deliveryId()).isEqualTo(b.get(1).deliveryId());
        assertThat(lease.attempt()).isEqualTo(3);
      });
    }
  }

  private static List<Lease> byEvent(List<Lease> leases) {
    List<Lease> sorted = new ArrayList<>(leases);
    sorted.sort(Comparator.comparing(Lease::eventId));
    return sorted;
  }
}
