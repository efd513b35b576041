package com.rendertrust.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code ./rendertrust admin grant --email} (AdminMain) against a RUNNING server: it finds the
 * embedded PostgreSQL of {@code RT_DATA_DIR} (or uses {@code RT_DATABASE_URL}), grants the role
 * while the server keeps serving, and the user's next login carries it.
 */
class AdminGrantTest {

  @Test
  void grantsThroughTheRunningEmbeddedDatabaseOfTheDataDirWithoutStoppingIt() {
    try (TestServer server = TestServer.start(TestServer.testConfig().withRedis(TestInfrastructure.redisUrl()))) {
      assertThat(server.config().embeddedDatabase()).isTrue();
      Map<String, String> env = Map.of("RT_DATA_DIR", server.config().dataDir().toString());
      TestUser user = TestUsers.register(server);
      assertThat(server.get("/api/v1/admin/nodes", user.authHeader()).statusCode()).isEqualTo(403);

      Result granted = run(env, "grant", "--email", "  " + user.email().toUpperCase() + " ");
      assertThat(granted.code()).as(granted.err()).isZero();
      assertThat(granted.out()).contains("granted ADMIN to");

      assertThat(server.get("/health").statusCode()).as("the server still runs").isEqualTo(200);
      assertThat(server.controlPlane().database().ping()).isTrue();
      String access = Json.parse(server.postJson("/api/v1/auth/login", "{\"email\":\"" + user.email()
          + "\",\"password\":\"" + user.password() + "\"}").body()).get("access_token").asText();
      assertThat(server.get("/api/v1/admin/nodes", "Authorization", "Bearer " + access).statusCode()).isEqualTo(200);

      Result unknown = run(env, "grant", "--email", "nobody-" + UUID.randomUUID() + "@example.com");
      assertThat(unknown.code()).isEqualTo(1);
      assertThat(unknown.err()).contains("no account");
    }
  }

  @Test
  void grantsThroughTheDatabaseUrl() {
    String url = TestInfrastructure.freshDatabaseUrl();
    try (TestServer server = TestServer.start(TestServer.testConfig().withDatabase(url, null, null)
        .withRedis(TestInfrastructure.redisUrl()))) {
      TestUser user = TestUsers.register(server);
      Result granted = run(Map.of("RT_DATABASE_URL", url), "grant", "--email", user.email());
      assertThat(granted.code()).as(granted.err()).isZero();
      String access = Json.parse(server.postJson("/api/v1/auth/login", "{\"email\":\"" + user.email()
          + "\",\"password\":\"" + user.password() + "\"}").body()).get("access_token").asText();
      assertThat(server.get("/api/v1/admin/nodes", "Authorization", "Bearer " + access).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void refusesWhenNoServerRunsAndOnBadUsage() throws Exception {
    Path empty = Files.createTempDirectory("rendertrust-no-server");
    Result stopped = run(Map.of("RT_DATA_DIR", empty.toString()), "grant", "--email", "a@example.com");
    assertThat(stopped.code()).isEqualTo(1);
    assertThat(stopped.err()).contains("is not running");
    assertThat(run(Map.of(), "grant").code()).isEqualTo(2);
    assertThat(run(Map.of(), "revoke", "--email", "a@example.com").code()).isEqualTo(2);
    assertThat(Files.list(empty).count()).as("nothing created in the data dir").isZero();
  }

  private record Result(int code, String out, String err) {
  }

  private static Result run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = AdminMain.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
