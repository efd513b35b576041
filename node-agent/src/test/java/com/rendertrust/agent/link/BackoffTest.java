package com.rendertrust.agent.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void delaysDoubleFromOneSecondUpToThirtyWithJitterBelowTheNominalValue() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new SplittableRandom(7));
    long[] nominal = {1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000};

    for (long expected : nominal) {
      long delay = backoff.next().toMillis();
      assertThat(delay).isBetween(expected * 3 / 4, expected);
    }
    assertThat(backoff.failedAttempts()).isEqualTo(nominal.length);
  }

  @Test
  void jitterSpreadsNodesThatReconnectTogether() {
    List<Long> firstDelays = new ArrayList<>();
    for (int node = 0; node < 20; node++) {
      firstDelays.add(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new SplittableRandom(node)).next().toMillis());
    }
    assertThat(firstDelays.stream().distinct().count()).isGreaterThan(10);
  }

  @Test
  void theExtremesOfTheJitterStayWithinBounds() {
    Backoff lowest = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new FixedDouble(0.999999));
    Backoff highest = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new FixedDouble(0.0));
    assertThat(lowest.next().toMillis()).isEqualTo(751);
    assertThat(highest.next().toMillis()).isEqualTo(1_000);
  }

  @Test
  void resetStartsOverAtTheInitialDelay() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new FixedDouble(0.0));
    backoff.next();
    backoff.next();
    backoff.next();

    backoff.reset();

    assertThat(backoff.next()).isEqualTo(Duration.ofSeconds(1));
    assertThat(backoff.failedAttempts()).isEqualTo(1);
  }

  @Test
  void manyFailuresNeverOverflowTheCap() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), new FixedDouble(0.0));
    for (int i = 0; i < 200; i++) {
      backoff.next();
    }
    assertThat(backoff.next()).isEqualTo(Duration.ofSeconds(30));
  }

  private record FixedDouble(double value) implements RandomGenerator {
    @Override
    public long nextLong() {
      return 0;
    }

    @Override
    public double nextDouble() {
      return value;
    }
  }
}
