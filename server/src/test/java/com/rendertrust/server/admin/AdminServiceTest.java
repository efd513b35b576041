package com.rendertrust.server.admin;

import static com.rendertrust.server.db.Tables.ADMIN_AUDIT;
import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.auth.RoleGrants;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin service over REST on the real server: only administrators get in (403 for a plain
 * user on every path), adjustments and refunds keep the ledger invariants, a refund reverses the
 * operator's unpaid share or books a platform loss, nodes are drained, disabled and enabled
 * through the nodes feature, deactivation revokes sessions and API keys, the role reaches the
 * token at the next login, and every call lands in the append-only audit.
 */
class AdminServiceTest {

  private static TestServer server;
  private static JobLedger ledger;
  private static final UUID ADMIN = UUID.randomUUID();
  private final List<TestNode.Stream> streams = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void ledgerHolds() {
    JobsTesting.closeStreams(server, streams);
    ledger.checkInvariants();
  }

  @Test
  void aPlainUserGets403OnEveryAdminPathAndNobodyGetsInWithoutCredentials() {
    String user = userBearer(server, UUID.randomUUID());
    String id = UUID.randomUUID().toString();
    List<String[]> calls = List.of(
        new String[] {"POST", "/api/v1/admin/credits/adjust",
            "{\"user_id\":\"" + id + "\",\"amount\":\"1\",\"reason\":\"x\",\"reference_id\":\"r\"}"},
        new String[] {"POST", "/api/v1/admin/jobs/" + id + "/refund", "{\"reason\":\"x\"}"},
        new String[] {"GET", "/api/v1/admin/jobs?dead_lettered=true", null},
        new String[] {"POST", "/api/v1/admin/jobs/" + id + "/requeue", "{}"},
        new String[] {"GET", "/api/v1/admin/nodes", null},
        new String[] {"POST", "/api/v1/admin/nodes/" + id + "/drain", "{}"},
        new String[] {"POST", "/api/v1/admin/nodes/" + id + "/disable", "{}"},
        new String[] {"POST", "/api/v1/admin/nodes/" + id + "/enable", "{}"},
        new String[] {"POST", "/api/v1/admin/users/" + id + "/deactivate", "{\"reason\":\"x\"}"});
    int audited = server.controlPlane().database().dsl().fetchCount(ADMIN_AUDIT);
    for (String[] call : calls) {
      assertThat(call(call, user).statusCode()).as(call[1]).isEqualTo(403);
      assertThat(call(call, null).statusCode()).as(call[1]).isEqualTo(401);
    }
    assertThat(server.controlPlane().database().dsl().fetchCount(ADMIN_AUDIT)).as("refused before the service")
        .isEqualTo(audited);
  }

  @Test
  void anAdjustmentIsIdempotentByReferenceAndKeepsTheInvariants() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> credited = adjust(user.id().toString(), "5", "ticket-1");
    assertThat(credited.statusCode()).as(credited.body()).isEqualTo(200);
    JsonNode entry = Json.parse(credited.body());
    assertThat(entry.get("source").asText()).isEqualTo("ADJUSTMENT");
    assertThat(entry.get("direction").asText()).isEqualTo("CREDIT");
    assertThat(entry.get("amount").asText()).isEqualTo("5.0000");
    assertThat(Json.parse(adjust(user.id().toString(), "5", "ticket-1").body()).get("id").asText())
        .as("the same reference answers the first entry").isEqualTo(entry.get("id").asText());
    assertThat(adjust(user.id().toString(), "6", "ticket-1").statusCode()).isEqualTo(409);
    JsonNode debit = Json.parse(adjust(user.id().toString(), "-2.5", "ticket-2").body());
    assertThat(debit.get("direction").asText()).isEqualTo("DEBIT");
    assertThat(debit.get("balance_after").asText()).isEqualTo("2.5000");
    assertThat(adjust(user.id().toString(), "-100", "ticket-3").statusCode()).isEqualTo(402);
    assertThat(adjust(user.id().toString(), "0", "ticket-4").statusCode()).isEqualTo(422);
    assertThat(adjust(user.id().toString(), "1.00001", "ticket-5").statusCode()).isEqualTo(422);
    assertThat(adjust(user.id().toString(), "1", "").statusCode()).isEqualTo(422);
    assertThat(adjust(UUID.randomUUID().toString(), "1", "ticket-6").statusCode()).as("no such user").isEqualTo(404);
    assertThat(adjust("not-a-uuid", "1", "ticket-7").statusCode()).isEqualTo(404);
    assertThat(ledger.balance(user.id())).isEqualTo(25_000);
    assertThat(audit("AdjustCredits", user.id().toString())).contains("OK", "IDEMPOTENCY_CONFLICT",
        "INSUFFICIENT_CREDITS", "VALIDATION_FAILED");
  }

  @Test
  void aRefundReturnsThePriceAsRefundAndReversesTheOperatorsUnpaidShare() {
    UUID operator = UUID.randomUUID();
    TestUser creator = TestUsers.register(server);
    ledger.deposit(creator.id(), 100_000);
    String job = completedJob(operator, creator.id());
    assertThat(ledger.earnings(operator)).isEqualTo(7_000);

    HttpResponse<String> refunded = refund(job);
    assertThat(refunded.statusCode()).as(refunded.body()).isEqualTo(200);
    JsonNode refund = Json.parse(refunded.body());
    assertThat(refund.get("user_id").asText()).isEqualTo(creator.id().toString());
    assertThat(refund.get("entry").get("source").asText()).isEqualTo("REFUND");
    assertThat(refund.get("entry").get("amount").asText()).isEqualTo("1.0000");
    assertThat(refund.get("reversed_from_operators").asText()).isEqualTo("0.7000");
    assertThat(refund.get("platform_loss").asText()).isEqualTo("0.0000");
    assertThat(ledger.balance(creator.id())).isEqualTo(100_000);
    assertThat(ledger.earnings(operator)).isZero();
    JsonNode history = Json.parse(server.get("/api/v1/credits/history", creator.authHeader()).body());
    assertThat(history.get("entries").get(0).get("source").asText()).isEqualTo("REFUND");
    assertThat(history.get("entries").get(0).get("reference_id").asText()).isEqualTo(job);
    JsonNode earnings = Json.parse(server.get("/api/v1/operator/earnings", "Authorization",
        userBearer(server, operator)).body());
    assertThat(earnings.get("balance").asText()).isEqualTo("0.0000");
    assertThat(earnings.get("total_earned").asText()).isEqualTo("0.0000");
    assertThat(earnings.get("entries").get(0).get("amount").asText()).isEqualTo("-0.7000");
    JsonNode usage = Json.parse(server.get("/api/v1/credits/usage?days=1", creator.authHeader()).body());
    assertThat(usage.get("days").get(0).get("refunded").asText()).isEqualTo("1.0000");

    assertThat(Json.parse(refund(job).body()).get("entry").get("id").asText()).as("a repeat answers the first refund")
        .isEqualTo(refund.get("entry").get("id").asText());
    assertThat(ledger.balance(creator.id())).isEqualTo(100_000);
    assertThat(refund(UUID.randomUUID().toString()).statusCode()).as("no such job").isEqualTo(404);
    assertThat(refund("nope").statusCode()).isEqualTo(404);
  }

  @Test
  void aRefundOfAnOperatorShareAlreadyPaidOutIsAPlatformLoss() {
    UUID operator = UUID.randomUUID();
    UUID creator = ledger.fundedUser(100_000);
    String job = completedJob(operator, creator);
    payOut(operator, 7_000);
    assertThat(ledger.earnings(operator)).isZero();

    JsonNode refund = Json.parse(refund(job).body());
    assertThat(refund.get("reversed_from_operators").asText()).isEqualTo("0.0000");
    assertThat(refund.get("platform_loss").asText()).isEqualTo("0.7000");
    assertThat(ledger.balance(creator)).isEqualTo(100_000);
    assertThat(ledger.earnings(operator)).isZero();
    JsonNode earnings = Json.parse(server.get("/api/v1/operator/earnings", "Authorization",
        userBearer(server, operator)).body());
    assertThat(earnings.get("paid_out").asText()).isEqualTo("0.7000");
    assertThat(earnings.get("total_earned").asText()).isEqualTo("0.7000");
  }

  @Test
  void nodesAreDrainedDisabledAndEnabledAndTheFleetViewShowsThem() {
    String type = "admin-type-" + UUID.randomUUID();
    UUID operator = UUID.randomUUID();
    TestNode.Stream stream = node(operator, type);
    String nodeId = stream.node().id().toString();
    UUID creator = ledger.fundedUser(100_000);

    JsonNode disabled = Json.parse(post("/api/v1/admin/nodes/" + nodeId + "/disable", "{}").body());
    assertThat(disabled.get("admin_state").asText()).isEqualTo("DISABLED");
    assertThat(disabled.get("operator_id").asText()).isEqualTo(operator.toString());
    HttpResponse<String> refused = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + type + "\"}",
        "Authorization", userBearer(server, creator));
    assertThat(refused.statusCode()).as("no node may take it: " + refused.body()).isEqualTo(400);

    assertThat(Json.parse(post("/api/v1/admin/nodes/" + nodeId + "/enable", "{}").body()).get("admin_state").asText())
        .isEqualTo("ACTIVE");
    HttpResponse<String> taken = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"" + type + "\"}",
        "Authorization", userBearer(server, creator));
    assertThat(taken.statusCode()).as(taken.body()).isEqualTo(200);
    assertThat(stream.dispatch().getJobType()).isEqualTo(type);

    assertThat(Json.parse(post("/api/v1/admin/nodes/" + nodeId + "/drain", "{}").body()).get("admin_state").asText())
        .isEqualTo("DRAINING");
    assertThat(stream.next(frame -> frame.hasDrain()).getDrain().getReason()).contains("administrator");

    JsonNode fleet = Json.parse(get("/api/v1/admin/nodes?limit=200").body());
    assertThat(fleet.get("count").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(fleet.get("nodes").findValuesAsText("id")).contains(nodeId);
    assertThat(get("/api/v1/admin/nodes?status=BUSY").statusCode()).isEqualTo(422);
    assertThat(post("/api/v1/admin/nodes/" + UUID.randomUUID() + "/drain", "{}").statusCode()).isEqualTo(404);
    assertThat(audit("DrainNode", nodeId)).containsExactly("OK");
  }

  @Test
  void theJobsListShowsEveryUsersJobsAndADeadLetteredJobIsRequeuedAsANewJobOnce() {
    UUID creator = ledger.fundedUser(100_000);
    String completed = completedJob(UUID.randomUUID(), creator);
    JsonNode all = Json.parse(get("/api/v1/admin/jobs?status=COMPLETED&limit=200").body());
    assertThat(ids(all)).contains(completed);
    assertThat(get("/api/v1/admin/jobs?status=DONE").statusCode()).isEqualTo(422);
    assertThat(post("/api/v1/admin/jobs/" + completed + "/requeue", "{}").statusCode()).as("not dead-lettered")
        .isEqualTo(409);

    TestNode.Stream stream = node(UUID.randomUUID(), "cpu_benchmark");
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"cpu_benchmark\","
        + "\"payload\":{\"iterations\":3}}", "Authorization", userBearer(server, creator));
    String dead = Json.parse(submitted.body()).get("job_id").asText();
    for (int attempt = 0; attempt <= server.config().jobs().maxRetries(); attempt++) {
      JobDispatch dispatch = stream.dispatch();
      assertThat(dispatch.getJobId()).isEqualTo(dead);
      JobsTesting.network(server).lifecycle().requeue(UUID.fromString(dead),
          UUID.fromString(dispatch.getAssignmentId()), "lost in test", false);
    }
    eventually("released", () -> ledger.holdStatus(UUID.fromString(dead)) == HoldStatus.RELEASED);
    JsonNode letters = Json.parse(get("/api/v1/admin/jobs?dead_lettered=true&limit=200").body());
    assertThat(ids(letters)).contains(dead).doesNotContain(completed);
    for (JsonNode each : letters.get("jobs")) {
      assertThat(each.get("status").asText()).isEqualTo("FAILED");
      assertThat(each.get("error_code").asText()).isEqualTo("RETRIES_EXHAUSTED");
    }

    HttpResponse<String> requeued = post("/api/v1/admin/jobs/" + dead + "/requeue", "{}");
    assertThat(requeued.statusCode()).as(requeued.body()).isEqualTo(200);
    JsonNode again = Json.parse(requeued.body());
    assertThat(again.get("id").asText()).isNotEqualTo(dead);
    assertThat(again.get("job_type").asText()).isEqualTo("cpu_benchmark");
    assertThat(dsl().select(JOBS.PAYLOAD).from(JOBS).where(JOBS.ID.eq(UUID.fromString(again.get("id").asText())))
        .fetchSingle(JOBS.PAYLOAD).data()).as("the same payload").contains("\"iterations\": 3");
    assertThat(Json.parse(post("/api/v1/admin/jobs/" + dead + "/requeue", "{}").body()).get("id").asText())
        .as("a repeat answers the same new job").isEqualTo(again.get("id").asText());
    JobDispatch rerun = stream.dispatch();
    assertThat(rerun.getJobId()).isEqualTo(again.get("id").asText());
    stream.accept(rerun);
    assertThat(stream.upload(rerun, "{\"score\":2}".getBytes())).isEqualTo(200);
    stream.complete(rerun);
    eventually("the new job charged", () -> ledger.hold(UUID.fromString(again.get("id").asText()))
        .map(h -> h.status() == HoldStatus.CAPTURED).orElse(false));
    assertThat(ledger.balance(creator)).as("two jobs charged, the dead-lettered one not").isEqualTo(80_000);
    assertThat(post("/api/v1/admin/jobs/" + UUID.randomUUID() + "/requeue", "{}").statusCode()).isEqualTo(404);
    assertThat(audit("RequeueJob", dead)).containsExactly("OK", "OK");
  }

  private static List<String> ids(JsonNode page) {
    List<String> ids = new ArrayList<>();
    page.get("jobs").forEach(each -> ids.add(each.get("id").asText()));
    return ids;
  }

  @Test
  void deactivatingAUserRevokesEverySessionAndApiKey() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> key = server.postJson("/api/v1/auth/api-keys", "{\"name\":\"ci\"}", user.authHeader());
    assertThat(key.statusCode()).isEqualTo(201);
    String secret = Json.parse(key.body()).get("key").asText();
    assertThat(server.get("/api/v1/credits/balance", "X-API-Key", secret).statusCode()).isEqualTo(200);

    HttpResponse<String> done = post("/api/v1/admin/users/" + user.id() + "/deactivate", "{\"reason\":\"fraud\"}");
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    assertThat(Json.parse(done.body()).get("sessions_revoked").asInt()).isEqualTo(1);
    assertThat(Json.parse(done.body()).get("api_keys_revoked").asInt()).isEqualTo(1);
    assertThat(server.get("/api/v1/credits/balance", user.authHeader()).statusCode()).isEqualTo(401);
    assertThat(server.get("/api/v1/credits/balance", "X-API-Key", secret).statusCode()).isEqualTo(401);
    assertThat(login(user).statusCode()).isEqualTo(401);
    assertThat(post("/api/v1/admin/users/" + UUID.randomUUID() + "/deactivate", "{\"reason\":\"x\"}").statusCode())
        .isEqualTo(404);
    assertThat(post("/api/v1/admin/users/" + user.id() + "/deactivate", "{}").statusCode()).isEqualTo(422);
  }

  @Test
  void theRoleGrantedOnTheCommandLineReachesTheTokenAtTheNextLogin() {
    TestUser user = TestUsers.register(server);
    assertThat(server.get("/api/v1/admin/nodes", user.authHeader()).statusCode()).isEqualTo(403);
    assertThat(RoleGrants.grantAdmin(dsl(), user.email().toUpperCase())).isTrue();
    assertThat(RoleGrants.grantAdmin(dsl(), "nobody-" + UUID.randomUUID() + "@example.com")).isFalse();
    assertThat(server.get("/api/v1/admin/nodes", user.authHeader()).statusCode()).as("the old token").isEqualTo(403);
    String access = Json.parse(login(user).body()).get("access_token").asText();
    assertThat(server.get("/api/v1/admin/nodes", "Authorization", "Bearer " + access).statusCode()).isEqualTo(200);
  }

  @Test
  void theAuditIsAppendOnlyInTheDatabase() {
    get("/api/v1/admin/nodes");
    assertThat(dsl().fetchCount(ADMIN_AUDIT)).isPositive();
    assertThatThrownBy(() -> dsl().execute("UPDATE admin_audit SET outcome = 'forged'")).hasMessageContaining("append-only");
    assertThatThrownBy(() -> dsl().execute("DELETE FROM admin_audit")).hasMessageContaining("append-only");
    assertThatThrownBy(() -> dsl().execute("TRUNCATE admin_audit")).hasMessageContaining("append-only");
  }

  // ---- helpers ----

  private String completedJob(UUID operator, UUID creator) {
    TestNode.Stream stream = node(operator, "cpu_benchmark");
    HttpResponse<String> submitted = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"cpu_benchmark\"}",
        "Authorization", userBearer(server, creator));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    String jobId = Json.parse(submitted.body()).get("job_id").asText();
    JobDispatch dispatch = stream.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(jobId);
    stream.accept(dispatch);
    assertThat(stream.upload(dispatch, "{\"score\":1}".getBytes())).isEqualTo(200);
    stream.complete(dispatch);
    eventually("captured", () -> ledger.hold(UUID.fromString(jobId)).map(h -> h.status() == HoldStatus.CAPTURED)
        .orElse(false));
    JobsTesting.closeStreams(server, List.of(stream));
    return jobId;
  }

  private TestNode.Stream node(UUID operator, String type) {
    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "node-" + type, List.of(type), userBearer(server, operator));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), 1);
    stream.welcome();
    streams.add(stream);
    return stream;
  }

  /**
   * A payout as the chain feature posts it: the shares owed paid first (what a payout does), then
   * the operator's earnings to a clearing account (PAYOUT).
   */
  private static void payOut(UUID operator, long amount) {
    ledger.accrueShares();
    dsl().execute("SELECT credit_post(gen_random_uuid(), a.id, '00000000-0000-0000-0004-000000000000'::uuid, "
        + amount + ", 'PAYOUT', 'ADMIN', a.id, 'payout-' || gen_random_uuid(), 'test payout', gen_random_uuid(), "
        + "gen_random_uuid()) FROM credit_accounts a WHERE a.owner_id = '" + operator
        + "' AND a.kind = 'OPERATOR_EARNINGS'");
  }

  private static List<String> audit(String action, String target) {
    return dsl().select(ADMIN_AUDIT.OUTCOME).from(ADMIN_AUDIT)
        .where(ADMIN_AUDIT.ACTION.eq(action), ADMIN_AUDIT.TARGET_ID.eq(target), ADMIN_AUDIT.ADMIN_USER_ID.eq(ADMIN))
        .orderBy(ADMIN_AUDIT.CREATED_AT)
        .fetch(ADMIN_AUDIT.OUTCOME);
  }

  private static HttpResponse<String> adjust(String userId, String amount, String reference) {
    return post("/api/v1/admin/credits/adjust", "{\"user_id\":\"" + userId + "\",\"amount\":\"" + amount
        + "\",\"reason\":\"support\",\"reference_id\":\"" + reference + "\"}");
  }

  private static HttpResponse<String> refund(String jobId) {
    return post("/api/v1/admin/jobs/" + jobId + "/refund", "{\"reason\":\"bad render\"}");
  }

  private static HttpResponse<String> login(TestUser user) {
    return server.postJson("/api/v1/auth/login", "{\"email\":\"" + user.email() + "\",\"password\":\""
        + user.password() + "\"}");
  }

  private static HttpResponse<String> post(String path, String body) {
    return server.postJson(path, body, "Authorization", adminBearer());
  }

  private static HttpResponse<String> get(String path) {
    return server.get(path, "Authorization", adminBearer());
  }

  private static String adminBearer() {
    return "Bearer " + server.controlPlane().identity().tokens().issueAccess(ADMIN, UUID.randomUUID(), Role.ADMIN)
        .value();
  }

  private static HttpResponse<String> call(String[] call, String bearer) {
    HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.controlPlane().httpPort()
        + call[1]));
    if (bearer != null) {
      request.header("Authorization", bearer);
    }
    if ("POST".equals(call[0])) {
      request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(call[2]));
    }
    return server.send(request);
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
