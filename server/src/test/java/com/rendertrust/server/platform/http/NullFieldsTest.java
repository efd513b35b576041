package com.rendertrust.server.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rendertrust.api.v1.DispatchJobResponse;
import com.rendertrust.api.v1.GetBalanceResponse;
import com.rendertrust.api.v1.Job;
import com.rendertrust.api.v1.ListJobsResponse;
import com.rendertrust.api.v1.RegisterNodeRequest;
import org.junit.jupiter.api.Test;

/** Unset optional and message fields become explicit nulls, through nested messages and lists. */
class NullFieldsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void unsetOptionalFieldsOfAJobBecomeNullAndSetOnesStay() throws Exception {
    ObjectNode job = (ObjectNode) JSON.readTree("{\"id\":\"j\",\"job_type\":\"echo\",\"status\":\"QUEUED\","
        + "\"retry_count\":0,\"created_at\":\"t\",\"updated_at\":\"t\",\"priority\":\"normal\",\"queued_at\":\"t\","
        // fields without presence: the printer always writes them
        + "\"frames_total\":0,\"frames_done\":0,\"tasks_total\":1,\"tasks_done\":0,\"progress\":0,"
        + "\"tier\":\"standard\",\"price\":\"0.0000\",\"node_progress\":0,\"frames_rendered\":0}");
    NullFields.fill(job, Job.getDescriptor());
    assertThat(job.size()).isEqualTo(Job.getDescriptor().getFields().size());
    for (String field : new String[] {"node_id", "payload_ref", "result_ref", "error_message", "dispatched_at",
        "completed_at"}) {
      assertThat(job.get(field).isNull()).as(field).isTrue();
    }
    assertThat(job.get("queued_at").asText()).isEqualTo("t");
    assertThat(job.get("retry_count").asInt()).isZero();
  }

  @Test
  void jobsInsideAListAreFilledToo() throws Exception {
    ObjectNode page = (ObjectNode) JSON.readTree("{\"jobs\":[{\"id\":\"a\"},{\"id\":\"b\",\"node_id\":\"n\"}],\"count\":2}");
    NullFields.fill(page, ListJobsResponse.getDescriptor());
    assertThat(page.get("jobs").get(0).get("node_id").isNull()).isTrue();
    assertThat(page.get("jobs").get(1).get("node_id").asText()).isEqualTo("n");
    assertThat(page.get("jobs").get(1).get("error_message").isNull()).isTrue();
  }

  @Test
  void scalarsWithoutPresenceAndWellKnownTypesAreLeftAlone() throws Exception {
    ObjectNode dispatched = (ObjectNode) JSON.readTree("{\"job_id\":\"j\",\"status\":\"QUEUED\"}");
    NullFields.fill(dispatched, DispatchJobResponse.getDescriptor());
    assertThat(dispatched.get("node_id").isNull()).isTrue();
    assertThat(dispatched.size()).isEqualTo(3);

    ObjectNode registration = (ObjectNode) JSON.readTree("{\"name\":\"n\",\"metadata\":{\"gpu\":\"x\"}}");
    NullFields.fill(registration, RegisterNodeRequest.getDescriptor());
    assertThat(registration.get("metadata").get("gpu").asText()).isEqualTo("x");
    assertThat(registration.has("public_key")).as("plain scalars have no presence").isFalse();
    assertThat(registration.get("metadata").size()).isEqualTo(1);
  }

  @Test
  void onlyTypesWithFieldsThatCanBeNullNeedTheSecondPass() {
    assertThat(NullFields.mayAdd(GetBalanceResponse.getDescriptor())).as("two plain strings").isFalse();
    assertThat(NullFields.mayAdd(Job.getDescriptor())).as("optional fields").isTrue();
    assertThat(NullFields.mayAdd(ListJobsResponse.getDescriptor())).as("optional fields inside a list").isTrue();
    assertThat(NullFields.mayAdd(DispatchJobResponse.getDescriptor())).isTrue();
  }
}
