package com.rendertrust.server.platform.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobAccepted;
import com.rendertrust.api.v1.OutputTarget;
import com.rendertrust.api.v1.RunningJob;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import org.junit.jupiter.api.Test;

/** Every string of a request is checked, and the error names where it sits. */
class RequestMessagesTest {

  private static final String BAD = "a\u0000b";

  @Test
  void aValidMessagePasses() {
    assertThatCode(() -> RequestMessages.check(Hello.newBuilder().addCapabilities("render").setSlots(2)
        .addRunning(RunningJob.newBuilder().setJobId("j").setAssignmentId("a")).setAgentVersion("0.1.0").build()))
        .doesNotThrowAnyException();
  }

  @Test
  void repeatedStringsAndRepeatedMessagesAreCheckedElementByElement() {
    refused(Hello.newBuilder().addCapabilities("render").addCapabilities(BAD).build(), "capabilities");
    refused(Hello.newBuilder().addRunning(RunningJob.newBuilder().setJobId("j"))
        .addRunning(RunningJob.newBuilder().setJobId("j").setTaskId(BAD)).build(), "running.task_id");
  }

  @Test
  void theFirstViolationByFieldNumberIsReported() {
    refused(Hello.newBuilder().setAgentVersion(BAD).addRunning(RunningJob.newBuilder().setJobId(BAD))
        .addCapabilities(BAD).build(), "capabilities");
    refused(Hello.newBuilder().setAgentVersion(BAD).addRunning(RunningJob.newBuilder().setJobId(BAD)).build(),
        "running.job_id");
  }

  @Test
  void theSetMemberOfAOneofIsChecked() {
    refused(ConnectRequest.newBuilder().setHello(Hello.newBuilder().addCapabilities(BAD)).build(), "hello.capabilities");
    refused(ConnectRequest.newBuilder().setAccepted(JobAccepted.newBuilder().setJobId(BAD)).build(), "accepted.job_id");
    assertThatCode(() -> RequestMessages.check(ConnectRequest.newBuilder()
        .setAccepted(JobAccepted.newBuilder().setJobId("j")).build())).doesNotThrowAnyException();
  }

  @Test
  void mapKeysAndValuesAreChecked() {
    refused(OutputTarget.newBuilder().putUploadHeaders("content-type", BAD).build(), "upload_headers.content-type");
    refused(OutputTarget.newBuilder().putUploadHeaders(BAD, "image/png").build(), "upload_headers");
  }

  @Test
  void jsonValuesNameTheirKeysAndListIndexes() {
    Struct payload = Struct.newBuilder().putFields("a", Value.newBuilder().setListValue(ListValue.newBuilder()
        .addValues(Value.newBuilder().setNumberValue(1))
        .addValues(Value.newBuilder().setStructValue(Struct.newBuilder()
            .putFields("b", Value.newBuilder().setStringValue(BAD).build())))).build()).build();
    refused(payload, "a[1].b");
    refused(Struct.newBuilder().putFields(BAD, Value.newBuilder().setBoolValue(true).build()).build(), "");
  }

  @Test
  void jsonNestedTooDeepIsRefusedWhereItGoesTooDeep() {
    Value deepest = Value.newBuilder().setStringValue("ok").build();
    for (int level = 0; level < InputRules.MAX_JSON_DEPTH + 1; level++) {
      deepest = Value.newBuilder().setListValue(ListValue.newBuilder().addValues(deepest)).build();
    }
    Struct payload = Struct.newBuilder().putFields("x", deepest).build();
    StringBuilder path = new StringBuilder("x");
    for (int level = 0; level < InputRules.MAX_JSON_DEPTH - 1; level++) {
      path.append("[0]");
    }
    refused(payload, path.toString());
  }

  private static void refused(Message message, String field) {
    assertThatThrownBy(() -> RequestMessages.check(message)).isInstanceOfSatisfying(DomainException.class, e -> {
      assertThat(e.reason()).isEqualTo(Reason.VALIDATION_FAILED);
      assertThat(e.metadata()).containsEntry("field", field);
    });
  }
}
