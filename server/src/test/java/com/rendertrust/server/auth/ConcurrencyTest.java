package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Races the database decides: one account per e-mail, one winner per refresh token. */
class ConcurrencyTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @RepeatedTest(3)
  void concurrentRegistrationsOfOneEmailGiveExactlyOne201() throws Exception {
    String email = "race-" + UUID.randomUUID() + "@example.com";
    List<HttpResponse<String>> responses = race(2, () -> server.postJson("/api/v1/auth/register",
        "{\"email\":\"" + email + "\",\"name\":\"N\",\"password\":\"password-1\"}"));

    assertThat(responses).extracting(HttpResponse::statusCode).containsExactlyInAnyOrder(201, 409);
    assertThat(server.controlPlane().database().dsl().fetchCount(USERS, USERS.EMAIL.eq(email))).isEqualTo(1);
  }

  @Test
  void manyConcurrentRegistrationsOfOneEmailGiveExactlyOne201() throws Exception {
    String email = "crowd-" + UUID.randomUUID() + "@example.com";
    List<HttpResponse<String>> responses = race(8, () -> server.postJson("/api/v1/auth/register",
        "{\"email\":\"" + email.toUpperCase() + "\",\"name\":\"N\",\"password\":\"password-1\"}"));
    assertThat(responses).filteredOn(response -> response.statusCode() == 201).hasSize(1);
    assertThat(responses).filteredOn(response -> response.statusCode() == 409).hasSize(7);
    assertThat(server.controlPlane().database().dsl().fetchCount(USERS, USERS.EMAIL.eq(email))).isEqualTo(1);
  }

  @Test
  void twoConcurrentRefreshesWithOneTokenGiveOneWinnerAndRevokeTheFamily() throws Exception {
    TestUser user = TestUsers.register(server);
    List<HttpResponse<String>> responses = race(2, () -> server.postJson("/api/v1/auth/refresh",
        "{\"refresh_token\":\"" + user.refreshToken() + "\"}"));

    assertThat(responses).extracting(HttpResponse::statusCode).containsExactlyInAnyOrder(200, 401);
    String winnersRefresh = responses.stream().filter(response -> response.statusCode() == 200).findFirst()
        .map(response -> Json.parse(response.body()).get("refresh_token").asText()).orElseThrow();
    assertThat(server.postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + winnersRefresh + "\"}").statusCode())
        .as("the second use was reuse: the family is revoked (no grace window)").isEqualTo(401);
  }

  private static <T> List<T> race(int contenders, Supplier<T> call) throws Exception {
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < contenders; i++) {
        futures.add(pool.submit(() -> {
          start.await();
          return call.get();
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
