package com.rendertrust.server.operators;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.credits.CreditAmount;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EarningsAttributionTest {

  @Test
  void aJobOnOneNodeIsOnePart() {
    UUID node = UUID.randomUUID();
    assertThat(EarningsAttribution.split(new CreditAmount(7_000), Map.of(node, 1L)))
        .containsExactly(new EarningsAttribution.Part(Optional.of(node), new CreditAmount(7_000)));
  }

  @Test
  void partsFollowTheWorkAndAddUpExactlyWithTheRemainderOnTheLargestPart() {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    Map<UUID, Long> work = new LinkedHashMap<>();
    work.put(a, 1L);
    work.put(b, 2L);
    List<EarningsAttribution.Part> parts = EarningsAttribution.split(new CreditAmount(10_001), work);
    assertThat(parts).containsExactly(
        new EarningsAttribution.Part(Optional.of(a), new CreditAmount(3_333)),
        new EarningsAttribution.Part(Optional.of(b), new CreditAmount(6_668)));
  }

  @Test
  void unknownWorkKeepsTheEarningWithoutANode() {
    assertThat(EarningsAttribution.split(new CreditAmount(-7_000), Map.of()))
        .containsExactly(new EarningsAttribution.Part(Optional.empty(), new CreditAmount(-7_000)));
  }
}
