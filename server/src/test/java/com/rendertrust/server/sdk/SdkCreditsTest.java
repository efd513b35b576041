package com.rendertrust.server.sdk;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.sdk.Balance;
import com.rendertrust.sdk.CreditPackage;
import com.rendertrust.sdk.LedgerEntry;
import com.rendertrust.sdk.Page;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.UnavailableException;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.testing.TestServer;
import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SDK's credit calls against the real server and ledger. */
class SdkCreditsTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    assertLedgerInvariants(server.controlPlane().database().dsl());
    server.close();
  }

  @Test
  void balanceHistoryAndPackagesAreTypedValues() {
    RenderTrustClient client = RenderTrustClient.create(server.channel());
    client.register("sdk-credits-" + UUID.randomUUID() + "@example.com", "Eve", "correct horse battery");
    Balance empty = client.balance();
    assertThat(empty.balance()).isEqualByComparingTo(BigDecimal.ZERO);

    UUID userId = UUID.fromString(empty.userId());
    server.controlPlane().credits().adjust(userId, CreditAmount.ofCredits(25), "sdk-grant-1", "welcome credits");
    assertThat(client.balance().balance()).isEqualByComparingTo(new BigDecimal("25"));

    Page<LedgerEntry> history = client.history(10, 0);
    assertThat(history.total()).isEqualTo(1);
    LedgerEntry entry = history.items().getFirst();
    assertThat(entry.direction()).isEqualTo("CREDIT");
    assertThat(entry.amount()).isEqualByComparingTo(new BigDecimal("25"));
    assertThat(entry.balanceAfter()).isEqualByComparingTo(new BigDecimal("25"));
    assertThat(entry.createdAt()).isNotNull();

    List<CreditPackage> packages = client.packages();
    assertThat(packages).extracting(CreditPackage::priceCents).containsExactly(1000L, 4000L, 7000L);
    // Stripe keys are not configured on the test server: checkout is unavailable, typed as such.
    assertThatThrownBy(() -> client.checkout("credits_100"))
        .isInstanceOfSatisfying(UnavailableException.class,
            e -> assertThat(e.reason()).isEqualTo("PAYMENTS_NOT_CONFIGURED"));
  }
}
