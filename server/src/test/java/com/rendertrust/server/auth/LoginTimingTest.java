package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Unknown e-mail, wrong password and inactive account cost the same work (one Argon2
 * verification), so response time does not reveal which accounts exist. Not a speed claim: it
 * compares medians of interleaved samples with a wide margin, which holds on a busy machine
 * but fails when one path skips the hash (that path is 20-50x faster).
 */
class LoginTimingTest {

  private static final int SAMPLES = 9;

  @Test
  void failedLoginsTakeTheSameTimeClass() {
    try (TestServer server = TestServer.start()) {
      TestUser user = TestUsers.register(server);
      TestUser inactive = TestUsers.register(server);
      server.controlPlane().database().dsl().update(USERS).set(USERS.IS_ACTIVE, false)
          .where(USERS.ID.eq(inactive.id())).execute();
      String unknown = "ghost-" + UUID.randomUUID() + "@example.com";
      login(server, user.email(), "warm-up-attempt"); // JIT and pools

      List<Long> wrongPassword = new ArrayList<>();
      List<Long> unknownEmail = new ArrayList<>();
      List<Long> inactiveAccount = new ArrayList<>();
      for (int i = 0; i < SAMPLES; i++) {
        wrongPassword.add(login(server, user.email(), "wrong-password"));
        unknownEmail.add(login(server, unknown, "wrong-password"));
        inactiveAccount.add(login(server, inactive.email(), inactive.password()));
      }

      long reference = median(wrongPassword);
      assertThat(median(unknownEmail)).as("unknown e-mail vs wrong password (ns)")
          .isBetween(reference / 3, reference * 3);
      assertThat(median(inactiveAccount)).as("inactive account vs wrong password (ns)")
          .isBetween(reference / 3, reference * 3);
    }
  }

  private static long login(TestServer server, String email, String password) {
    long start = System.nanoTime();
    int status = server.postJson("/api/v1/auth/login",
        "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}").statusCode();
    long elapsed = System.nanoTime() - start;
    assertThat(status).isEqualTo(401);
    return elapsed;
  }

  private static long median(List<Long> samples) {
    List<Long> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
