package com.rendertrust.agent.run;

import static com.rendertrust.agent.testing.FakeControlPlane.dispatch;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.agent.testing.Await;
import com.rendertrust.agent.testing.FakeControlPlane;
import com.rendertrust.agent.testing.FakeNodeStream;
import com.rendertrust.agent.testing.RunningAgentTestBase;
import io.grpc.Status;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CredentialRenewalTest extends RunningAgentTestBase {

  @Test
  void theNodeTokenIsRenewedWithTheSameKeyBeforeItExpires() throws Exception {
    FakeControlPlane.FakeNode node = server.nodes().get(0);
    server.tokenLifetime(Duration.ofSeconds(3));
    // Re-register so the stored token lives 3 s: renewal is due after 80 % of that.
    assertThat(fixture.register(server, "echo")).isZero();
    String tokenBefore = json.readTree(fixture.configDir().resolve("node.json").toFile()).path("token").asText();
    int registrations = node.registrations.get();
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);

    Await.until(() -> node.registrations.get() > registrations, WAIT, "a renewal");
    Await.until(() -> node.proofsVerified.get() >= registrations + 1, WAIT, "the renewed key proof");
    assertThat(server.nodes()).hasSize(1);
    Await.until(() -> !readToken().equals(tokenBefore), WAIT, "node.json to hold the new token");

    // Once the first token has expired, a new stream still gets in with the renewed one.
    java.time.Instant firstExpiry = com.rendertrust.agent.identity.TokenClaims.of(tokenBefore).expiresAt().orElseThrow();
    Await.until(() -> java.time.Instant.now().isAfter(firstExpiry.plusMillis(100)), WAIT, "the first token to expire");
    assertThat(server.streams()).hasSize(1);
    first.drop(Status.UNAVAILABLE);
    FakeNodeStream second = server.awaitStream(1, WAIT);
    second.dispatch(dispatch("n1", "echo", "{\"message\":\"renewed\"}", store.uploadUrl("n1")).build());
    assertCompleted(awaitResult(second, "n1"));
  }

  @Test
  void aRenewalWhoseProofIsLostReconnectsAndProvesTheKeyInHello() throws Exception {
    server.tokenLifetime(Duration.ofSeconds(3));
    assertThat(fixture.register(server, "echo")).isZero();
    FakeControlPlane.FakeNode node = server.nodes().get(0);
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    assertThat(first.hello.hasSignature()).isFalse();
    int proofs = node.proofsVerified.get();

    server.failNextProofs(1);
    FakeNodeStream second = server.awaitStream(1, WAIT);

    assertThat(second.hello.hasSignature()).as("the renewed challenge is proven in Hello").isTrue();
    assertThat(node.verified).isTrue();
    assertThat(node.proofsVerified.get()).isEqualTo(proofs + 1);
    second.dispatch(dispatch("n3", "echo", "{\"message\":\"proven\"}", store.uploadUrl("n3")).build());
    assertCompleted(awaitResult(second, "n3"));
  }

  @Test
  void aRejectedTokenIsRenewedAndTheStreamReopened() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    FakeControlPlane.FakeNode node = server.nodes().get(0);
    int registrations = node.registrations.get();

    server.revokeAllTokens();
    first.drop(Status.UNAVAILABLE.withDescription("server restarted with a new signing key"));

    FakeNodeStream second = server.awaitStream(1, WAIT);
    assertThat(node.registrations.get()).isEqualTo(registrations + 1);
    assertThat(node.verified).isTrue();
    second.dispatch(dispatch("n2", "echo", "{\"message\":\"back\"}", store.uploadUrl("n2")).build());
    assertCompleted(awaitResult(second, "n2"));
  }

  @Test
  void aNodeTheServerNoLongerConsidersVerifiedProvesItsKeyAgain() throws Exception {
    fixture.start();
    FakeNodeStream first = server.awaitStream(0, WAIT);
    FakeControlPlane.FakeNode node = server.nodes().get(0);
    int proofs = node.proofsVerified.get();

    node.verified = false;
    first.drop(Status.UNAVAILABLE);

    FakeNodeStream second = server.awaitStream(1, WAIT);
    assertThat(node.proofsVerified.get()).isGreaterThan(proofs);
    assertThat(second.nodeId).isEqualTo(node.nodeId);
  }

  private String readToken() {
    try {
      return json.readTree(Files.readString(fixture.configDir().resolve("node.json"))).path("token").asText();
    } catch (Exception e) {
      return "";
    }
  }
}
