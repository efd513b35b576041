package com.rendertrust.server.sdk;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.sdk.Admin;
import com.rendertrust.sdk.ConflictException;
import com.rendertrust.sdk.Job;
import com.rendertrust.sdk.JobRequest;
import com.rendertrust.sdk.LedgerEntry;
import com.rendertrust.sdk.NotFoundException;
import com.rendertrust.sdk.Operators;
import com.rendertrust.sdk.PermissionDeniedException;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.Usage;
import com.rendertrust.sdk.ValidationException;
import com.rendertrust.server.auth.RoleGrants;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SDK's operator, usage and admin calls against the real server, ledger and a test node. */
class SdkOperatorsAdminTest {

  private static final String PASSWORD = "correct horse battery";
  private static TestServer server;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    server = JobsTesting.start();
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    ledger.checkInvariants();
    server.close();
  }

  @Test
  void anOperatorSeesItsNodeAndEarningsAndAnAdministratorRefundsTheJob() {
    RenderTrustClient operator = RenderTrustClient.create(server.channel());
    operator.register("sdk-operator-" + UUID.randomUUID() + "@example.com", "Olga", PASSWORD);
    UUID operatorId = UUID.fromString(operator.balance().userId());
    RenderTrustClient creator = RenderTrustClient.create(server.channel());
    creator.register("sdk-creator-" + UUID.randomUUID() + "@example.com", "Cleo", PASSWORD);
    UUID creatorId = UUID.fromString(creator.balance().userId());
    ledger.deposit(creatorId, 100_000);

    TestNode node = TestNode.withNewKey();
    node.register(server.channel(), "sdk-bench", List.of("cpu_benchmark"), userBearer(server, operatorId));
    node.prove(server.channel());
    TestNode.Stream stream = node.connect(server.channel(), 1);
    stream.welcome();
    Job job = creator.submitJob(JobRequest.of("cpu_benchmark", java.util.Map.of()));
    JobDispatch dispatch = stream.dispatch();
    stream.accept(dispatch);
    assertThat(stream.upload(dispatch, new byte[] {1, 2, 3})).isEqualTo(200);
    stream.complete(dispatch);
    eventually("captured", () -> ledger.hold(UUID.fromString(job.id())).map(h -> h.status() == HoldStatus.CAPTURED)
        .orElse(false));

    List<Operators.Node> nodes = operator.operators().nodes();
    assertThat(nodes).singleElement().satisfies(mine -> {
      assertThat(mine.id()).isEqualTo(node.id().toString());
      assertThat(mine.tasksCompleted()).isEqualTo(1);
      assertThat(mine.earned()).isEqualByComparingTo("0.7");
    });
    Operators.Earnings earnings = operator.operators().earnings();
    assertThat(earnings.balance()).isEqualByComparingTo("0.7");
    assertThat(earnings.entries()).singleElement().satisfies(entry -> {
      assertThat(entry.jobId()).isEqualTo(job.id());
      assertThat(entry.nodeId()).isEqualTo(node.id().toString());
    });
    assertThatThrownBy(() -> operator.operators().earnings(0, 0)).isInstanceOf(ValidationException.class);
    Usage usage = creator.usage(7);
    assertThat(usage.days()).hasSize(7);
    assertThat(usage.totalSpent()).isEqualByComparingTo("1");
    assertThatThrownBy(() -> creator.usage(91)).isInstanceOf(ValidationException.class);

    assertThatThrownBy(() -> creator.admin().nodes(null, 50, 0)).isInstanceOf(PermissionDeniedException.class);
    RenderTrustClient admin = RenderTrustClient.create(server.channel());
    String adminEmail = "sdk-admin-" + UUID.randomUUID() + "@example.com";
    admin.register(adminEmail, "Ada", PASSWORD);
    RoleGrants.grantAdmin(server.controlPlane().database().dsl(), adminEmail);
    admin.login(adminEmail, PASSWORD); // the role arrives with the next login

    Admin.Refund refund = admin.admin().refundJob(job.id(), "test refund");
    assertThat(refund.userId()).isEqualTo(creatorId.toString());
    assertThat(refund.entry().source()).isEqualTo("REFUND");
    assertThat(refund.reversedFromOperators()).isEqualByComparingTo("0.7");
    assertThat(creator.balance().balance()).isEqualByComparingTo("10");
    assertThat(operator.operators().earnings().balance()).isEqualByComparingTo("0");

    LedgerEntry adjusted = admin.admin().adjustCredits(creatorId.toString(), new BigDecimal("-2.5"), "correction",
        "sdk-adjust-1");
    assertThat(adjusted.direction()).isEqualTo("DEBIT");
    assertThatThrownBy(() -> admin.admin().adjustCredits(creatorId.toString(), new BigDecimal("-3"), "correction",
        "sdk-adjust-1")).isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> admin.admin().refundJob(UUID.randomUUID().toString(), "x"))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> admin.admin().requeueJob(job.id())).as("not dead-lettered")
        .isInstanceOf(ConflictException.class);

    Admin.Node disabled = admin.admin().disableNode(node.id().toString());
    assertThat(disabled.adminState()).isEqualTo("DISABLED");
    assertThat(disabled.operatorId()).isEqualTo(operatorId.toString());
    assertThat(admin.admin().enableNode(node.id().toString()).adminState()).isEqualTo("ACTIVE");
    assertThat(admin.admin().nodes(null, 200, 0).items()).extracting(Admin.Node::id).contains(node.id().toString());
    assertThat(admin.admin().jobs("COMPLETED", false, 200, 0).items()).extracting(Job::id).contains(job.id());

    Admin.Deactivation gone = admin.admin().deactivateUser(creatorId.toString(), "test");
    assertThat(gone.sessionsRevoked()).isEqualTo(1);
    stream.halfClose();
    JobsTesting.awaitStreamGone(server, node);
  }
}
