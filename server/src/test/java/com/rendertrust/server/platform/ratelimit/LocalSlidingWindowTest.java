package com.rendertrust.server.platform.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-process fallback window: a true sliding window on an injected clock. */
class LocalSlidingWindowTest {

  @Test
  void admitsTheLimitPerWindowAndSaysWhenTheNextAttemptFits() {
    AtomicLong now = new AtomicLong(1_000_000);
    LocalSlidingWindow window = new LocalSlidingWindow(now::get);
    for (int i = 0; i < 5; i++) {
      assertThat(window.tryAcquire("login:ip:a", 5, 60_000)).isZero();
      now.addAndGet(1_000);
    }
    assertThat(window.tryAcquire("login:ip:a", 5, 60_000)).as("oldest attempt leaves in 55 s").isEqualTo(55_000);
    assertThat(window.tryAcquire("login:ip:b", 5, 60_000)).as("other subjects have their own window").isZero();
    now.addAndGet(55_000);
    assertThat(window.tryAcquire("login:ip:a", 5, 60_000)).as("the window slid past the first attempt").isZero();
    assertThat(window.tryAcquire("login:ip:a", 5, 60_000)).isPositive();
  }
}
