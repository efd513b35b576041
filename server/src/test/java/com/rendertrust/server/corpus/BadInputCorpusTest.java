package com.rendertrust.server.corpus;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.LedgerSnapshot;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import com.rendertrust.server.testing.TokenForge;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus ({@code rest/bad-input-corpus.txt}): several hundred refused requests over
 * real HTTP against one real server, with real users, API keys, a proven node and jobs as
 * fixtures. Each answers its documented status in the {@code {"detail"}} shape; afterwards the
 * ledger invariants hold and no table the corpus could reach gained or lost a row, nor moved money.
 */
class BadInputCorpusTest {

  private static final String CORPUS = "/rest/bad-input-corpus.txt";
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");
  private static final Pattern REPEAT = Pattern.compile("<rep:([0-9]+):([^>]*)>");
  private static final Pattern RAW_BYTE = Pattern.compile("<x([0-9A-F]{2})>");

  private static TestServer server;
  private static final Map<String, String> fixtures = new HashMap<>();
  private static final Map<String, String[]> credentials = new HashMap<>();
  private static TestNode.Stream nodeStream;
  private static Counts before;

  record Case(int line, int status, String credential, String method, String path, String contentType, String body,
      String detail) {
    @Override
    public String toString() {
      return "line " + line + ": " + method + " " + path + " -> " + status;
    }
  }

  private record Counts(LedgerSnapshot ledger, Map<String, Integer> rows) {
  }

  @BeforeAll
  static void start() throws Exception {
    server = JobsTesting.start();
    TestUser alice = TestUsers.register(server);
    TestUser bob = TestUsers.register(server);
    TestUser carol = TestUsers.register(server);
    for (TestUser user : List.of(alice, bob)) {
      server.controlPlane().credits().adjust(user.id(), CreditAmount.ofCredits(5000), "seed", "corpus grant");
    }
    TestNode node = TestNode.ready(server.channel(), "corpus-node", List.of("echo"));
    nodeStream = node.connect(server.channel(), 8);
    nodeStream.welcome();
    nodeStream.keepAlive(Duration.ofSeconds(1), null);

    fixtures.put("alice_email", alice.email());
    fixtures.put("alice_email_upper", alice.email().toUpperCase(Locale.ROOT));
    fixtures.put("alice_access", alice.accessToken());
    fixtures.put("node_id", node.id().toString());
    fixtures.put("node_pem", node.publicKeyPem().replace("\n", "\\n"));
    fixtures.put("alice_job", submitAndRun(alice));
    fixtures.put("bob_job", submitAndRun(bob));
    fixtures.put("alice_entry", deduct(alice));
    fixtures.put("bob_entry", deduct(bob));
    JsonNode aliceKey = createKey(alice, "corpus");
    fixtures.put("alice_key", aliceKey.get("api_key").get("id").asText());
    fixtures.put("bob_key", createKey(bob, "corpus").get("api_key").get("id").asText());
    JsonNode revoked = createKey(alice, "revoked");
    expect(200, server.delete("/api/v1/auth/api-keys/" + revoked.get("api_key").get("id").asText(), alice.authHeader()));
    expect(200, server.postJson("/api/v1/auth/logout", "", carol.authHeader()));

    TokenForge forge = TokenForge.of(server);
    JWTClaimsSet claims = forge.accessClaims(alice.id(), UUID.randomUUID()).build();
    String forged = TokenForge.signedWith(new OctetKeyPairGenerator(Curve.Ed25519)
        .keyID(forge.serverKey().getKeyID()).generate(), forge.accessHeader().build(), claims);
    fixtures.put("forged_token", forged);
    Instant past = Instant.now().minus(Duration.ofHours(2));
    String expired = forge.signed(forge.accessHeader().build(), new JWTClaimsSet.Builder(claims)
        .issueTime(Date.from(past)).expirationTime(Date.from(past.plus(Duration.ofMinutes(30)))).build());

    String aliceBearer = "Bearer " + alice.accessToken();
    credentials.put("none", new String[0]);
    credentials.put("alice", alice.authHeader());
    credentials.put("bob", bob.authHeader());
    credentials.put("node", new String[] {"Authorization", "Bearer " + node.token()});
    credentials.put("node_as_user", new String[] {"Authorization", "Bearer " + node.token()});
    credentials.put("apikey", new String[] {"X-API-Key", aliceKey.get("key").asText()});
    credentials.put("revoked_key", new String[] {"X-API-Key", revoked.get("key").asText()});
    credentials.put("garbage_key", new String[] {"X-API-Key", "rt_live_" + "0".repeat(40)});
    credentials.put("garbage_bearer", new String[] {"Authorization", "Bearer not.a.jwt"});
    credentials.put("forged", new String[] {"Authorization", "Bearer " + forged});
    credentials.put("alg_none", new String[] {"Authorization", "Bearer " + TokenForge.unsecured(claims)});
    credentials.put("hs256", new String[] {"Authorization", "Bearer " + forge.hs256WithPublicKey(claims)});
    credentials.put("expired", new String[] {"Authorization", "Bearer " + expired});
    credentials.put("refresh_as_access", new String[] {"Authorization", "Bearer " + alice.refreshToken()});
    credentials.put("logged_out", carol.authHeader());
    credentials.put("basic", new String[] {"Authorization", "Basic YWxpY2U6cGFzc3dvcmQ="});
    credentials.put("bearer_and_key", new String[] {"Authorization", aliceBearer, "X-API-Key", aliceKey.get("key").asText()});
    before = counts();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static Stream<Case> corpus() {
    List<Case> cases = new ArrayList<>();
    String[] lines = new String(resource(), StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split(" \\| ", -1);
      if (parts.length != 6) {
        throw new IllegalStateException("line " + (i + 1) + " has " + parts.length + " columns: " + line);
      }
      String[] request = parts[2].split(" ", 2);
      cases.add(new Case(i + 1, Integer.parseInt(parts[0]), parts[1], request[0], request[1], parts[3], parts[4],
          parts[5]));
    }
    return cases.stream();
  }

  @Test
  void theCorpusIsLargeAndCoversEveryDocumentedPath() {
    List<Case> cases = corpus().toList();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(300);
    for (String path : List.of("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh",
        "/api/v1/auth/logout", "/api/v1/auth/api-keys", "/api/v1/credits/balance", "/api/v1/credits/history",
        "/api/v1/credits/deduct", "/api/v1/credits/packages", "/api/v1/credits/checkout", "/api/v1/jobs/dispatch",
        "/api/v1/jobs", "/cancel", "/result", "/api/v1/nodes/register", "/api/v1/nodes/heartbeat", "/verify",
        "/proof", "/api/v1/ledger/anchors", "/api/v1/webhooks/stripe")) {
      assertThat(cases).as(path).anyMatch(c -> c.path().contains(path));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void isRefusedWithItsDocumentedStatus(Case c) {
    HttpResponse<String> response = send(c);
    assertThat(response.statusCode()).as("%s: %s", c, response.body()).isEqualTo(c.status());
    assertThat(response.headers().firstValue("content-type")).as(c.toString()).get().asString()
        .startsWith("application/json");
    JsonNode body = Json.parse(response.body());
    assertThat(body.path("detail").asText()).as(c.toString()).isNotBlank();
    assertThat(response.body()).as(c.toString()).doesNotContain("Exception").doesNotContain("at com.");
    if (!"-".equals(c.detail())) {
      assertThat(body.get("detail").asText()).as(c.toString()).contains(c.detail());
    }
  }

  /** Runs after the parameterized cases (JUnit orders methods deterministically, not by this name). */
  @Test
  void zzNothingTheCorpusSentWroteARowOrMovedMoney() {
    corpus().forEach(BadInputCorpusTest::send); // the cases again, so this holds in any method order
    assertThat(counts()).isEqualTo(before);
    assertLedgerInvariants(dsl());
  }

  // ---- fixtures and plumbing ----

  private static String submitAndRun(TestUser user) {
    JsonNode job = Json.parse(expect(200, server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}",
        user.authHeader())));
    nodeStream.accept(nodeStream.dispatch());
    return job.get("job_id").asText();
  }

  private static String deduct(TestUser user) {
    return Json.parse(expect(200, server.postJson("/api/v1/credits/deduct",
        "{\"amount\":\"1.0000\",\"reference_id\":\"corpus-fixture\"}", user.authHeader()))).get("id").asText();
  }

  private static JsonNode createKey(TestUser user, String name) {
    return Json.parse(expect(201, server.postJson("/api/v1/auth/api-keys", "{\"name\":\"" + name + "\"}",
        user.authHeader())));
  }

  private static String expect(int status, HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    return response.body();
  }

  private static HttpResponse<String> send(Case c) {
    HttpRequest.BodyPublisher body = "-".equals(c.body())
        ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(bytes(expand(c.body())));
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(expand(c.path()))).method(c.method(), body);
    if (!"-".equals(c.body()) || !"-".equals(c.contentType())) {
      request.header("Content-Type", "-".equals(c.contentType()) ? "application/json" : c.contentType());
    }
    String[] headers = credentials.get(c.credential());
    if (headers == null) {
      throw new IllegalStateException("unknown credential " + c.credential() + " at " + c);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return server.send(request);
  }

  private static String expand(String text) {
    Matcher placeholders = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (placeholders.find()) {
      String name = placeholders.group(1);
      String value = switch (name) {
        case "uuid" -> UUID.randomUUID().toString();
        case "uuid_upper" -> UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
        default -> fixtures.getOrDefault(name, placeholders.group());
      };
      placeholders.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    placeholders.appendTail(out);
    Matcher repeats = REPEAT.matcher(out.toString());
    StringBuilder expanded = new StringBuilder();
    while (repeats.find()) {
      repeats.appendReplacement(expanded,
          Matcher.quoteReplacement(repeats.group(2).repeat(Integer.parseInt(repeats.group(1)))));
    }
    repeats.appendTail(expanded);
    return expanded.toString();
  }

  /** UTF-8 of {@code text}, with each {@code <xHH>} as the raw byte HH (to send invalid UTF-8). */
  private static byte[] bytes(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Matcher raw = RAW_BYTE.matcher(text);
    int last = 0;
    while (raw.find()) {
      out.writeBytes(text.substring(last, raw.start()).getBytes(StandardCharsets.UTF_8));
      out.write(Integer.parseInt(raw.group(1), 16));
      last = raw.end();
    }
    out.writeBytes(text.substring(last).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static byte[] resource() {
    try (InputStream in = BadInputCorpusTest.class.getResourceAsStream(CORPUS)) {
      if (in == null) {
        throw new IllegalStateException(CORPUS + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Counts counts() {
    Map<String, Integer> rows = new HashMap<>();
    for (String table : List.of("users", "api_keys", "refresh_tokens", "nodes", "jobs", "credit_holds")) {
      rows.put(table, dsl().fetchCount(DSL.table(DSL.name(table))));
    }
    return new Counts(LedgerSnapshot.take(dsl()), rows);
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
