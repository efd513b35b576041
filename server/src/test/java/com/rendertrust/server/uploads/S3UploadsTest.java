package com.rendertrust.server.uploads;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.testing.FakeS3;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.SigV4;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUploads;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Uploads with RT_S3_BUCKET set, against {@link FakeS3}, which checks every presigned request's
 * SigV4 signature and the body's x-amz-checksum-sha256 the way S3 does.
 */
class S3UploadsTest {

  private static final String BUCKET = "rt-inputs";
  private static FakeS3 s3;
  private static TestServer server;
  private static TestUploads uploads;
  private static JobLedger ledger;

  @BeforeAll
  static void start() {
    s3 = FakeS3.start(BUCKET);
    StorageConfig storage = new StorageConfig(Optional.empty(), Optional.empty(), Optional.empty(), 1024 * 1024,
        Duration.ofHours(1), Optional.of(new StorageConfig.S3(BUCKET, Optional.of(s3.endpoint()), "eu-west-1",
            Optional.of(FakeS3.ACCESS_KEY), Optional.of(FakeS3.SECRET_KEY), true)));
    server = TestServer.start(JobsTesting.config(JobsTesting.fastJobs()).withStorage(storage));
    uploads = new TestUploads(server);
    ledger = JobLedger.of(server);
  }

  @AfterAll
  static void stop() {
    try {
      ledger.checkInvariants();
    } finally {
      server.close();
      s3.close();
    }
  }

  @Test
  void thePresignedPutSignsTheChecksumAndTheLengthAndCompleteChecksWithAHead() {
    UUID user = UUID.randomUUID();
    byte[] scene = TestUploads.randomBytes(30_000, 41);
    JsonNode created = uploads.declare(user, "scene.blend", scene);
    URI url = URI.create(created.get("upload_url").asText());
    String checksum = Base64.getEncoder().encodeToString(SigV4.sha256(scene));
    assertThat(created.get("upload_headers").get("x-amz-checksum-sha256").asText()).isEqualTo(checksum);
    assertThat(SigV4.signedHeaders(url)).contains("host", "x-amz-checksum-sha256", "content-length", "content-type");
    assertThat(url.getPath()).isEqualTo("/" + BUCKET + "/uploads/" + user + "/"
        + created.get("upload").get("id").asText() + ".blend");
    assertThat(url.toString()).doesNotContain(FakeS3.SECRET_KEY);

    int verifiedBefore = s3.verifiedRequests();
    assertThat(TestUploads.put(created, scene)).isEqualTo(200);
    String id = created.get("upload").get("id").asText();
    HttpResponse<String> completed = uploads.complete(user, id);
    assertThat(completed.statusCode()).isEqualTo(200);
    assertThat(Json.parse(completed.body()).get("upload").get("status").asText()).isEqualTo("READY");
    assertThat(s3.verifiedRequests() - verifiedBefore).as("the PUT and complete's HEAD, both signed").isEqualTo(2);

    assertThat(uploads.delete(user, id).statusCode()).isEqualTo(200);
    assertThat(s3.object("uploads/" + user + "/" + id + ".blend")).isEmpty();
  }

  @Test
  void otherBytesAreRefusedByS3SoCompleteAnswers409() {
    UUID user = UUID.randomUUID();
    byte[] declared = TestUploads.randomBytes(5_000, 42);
    JsonNode created = uploads.declare(user, "x.bin", declared);
    assertThat(TestUploads.put(created, TestUploads.randomBytes(5_000, 43))).isEqualTo(400); // BadDigest
    HttpResponse<String> response = uploads.complete(user, created.get("upload").get("id").asText());
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(Json.parse(response.body()).get("reason").asText()).isEqualTo("UPLOAD_INCOMPLETE");
  }

  @Test
  void aChangedChecksumHeaderOrLengthBreaksTheSignature() {
    UUID user = UUID.randomUUID();
    byte[] declared = TestUploads.randomBytes(5_000, 44);
    byte[] other = TestUploads.randomBytes(5_000, 45);
    JsonNode created = uploads.declare(user, "x.bin", declared);
    URI url = URI.create(created.get("upload_url").asText());
    // a client that sends the other bytes with their own (correct) checksum: not what was signed
    JsonNode otherHeaders = Json.parse("{\"content-type\":\"application/octet-stream\",\"x-amz-checksum-sha256\":\""
        + Base64.getEncoder().encodeToString(SigV4.sha256(other)) + "\"}");
    int refusedBefore = s3.refusedRequests();
    assertThat(TestUploads.put(url, otherHeaders, other)).isEqualTo(403);
    assertThat(TestUploads.put(url, created.get("upload_headers"), TestUploads.randomBytes(5_001, 44))).isEqualTo(403);
    assertThat(s3.refusedRequests() - refusedBefore).isEqualTo(2);
    assertThat(uploads.complete(user, created.get("upload").get("id").asText()).statusCode()).isEqualTo(409);
  }

  @Test
  void aJobsInputAndS3RefsUnderTheCallersPrefixReachTheNodeAsPresignedGets() {
    String type = "s3-input";
    TestNode node = TestNode.ready(server.channel(), "s3-node", List.of(type));
    TestNode.Stream stream = node.connect(server.channel(), 8); // every job below stays on it
    stream.welcome();
    UUID user = UUID.randomUUID();
    ledger.deposit(user, 1_000_000);
    byte[] scene = TestUploads.randomBytes(20_000, 46);
    String inputId = uploads.ready(user, "scene.blend", scene);

    assertThat(dispatch(user, "{\"job_type\":\"" + type + "\",\"input_id\":\"" + inputId + "\"}")).isEqualTo(200);
    JobDispatch withInput = stream.dispatch();
    assertThat(withInput.getInputSha256()).isEqualTo(TestUploads.sha256(scene));
    HttpResponse<byte[]> fetched = TestUploads.download(withInput.getInputUrl());
    assertThat(fetched.statusCode()).isEqualTo(200);
    assertThat(TestUploads.sha256(fetched.body())).isEqualTo(withInput.getInputSha256());

    String own = "s3://" + BUCKET + "/uploads/" + user + "/" + inputId + ".blend";
    assertThat(dispatch(user, "{\"job_type\":\"" + type + "\",\"payload_ref\":\"" + own + "\"}")).isEqualTo(200);
    JobDispatch ownRef = stream.dispatch();
    assertThat(ownRef.getPayloadRef()).isEqualTo(own);
    assertThat(TestUploads.download(ownRef.getInputUrl()).body()).isEqualTo(scene);
    assertThat(ownRef.getInputSha256()).isEmpty();

    for (String opaque : List.of("s3://" + BUCKET + "/uploads/" + UUID.randomUUID() + "/" + inputId + ".blend",
        "s3://other-bucket/uploads/" + user + "/scene.blend", "s3://" + BUCKET + "/uploads/" + user + "/../x",
        "ipfs://bafy")) {
      assertThat(dispatch(user, "{\"job_type\":\"" + type + "\",\"payload_ref\":\"" + opaque + "\"}")).isEqualTo(200);
      JobDispatch passed = stream.dispatch();
      assertThat(passed.getPayloadRef()).isEqualTo(opaque);
      assertThat(passed.getInputUrl()).as(opaque).isEmpty();
    }
  }

  private static int dispatch(UUID user, String body) {
    return server.postJson("/api/v1/jobs/dispatch", body, "Authorization", JobsTesting.userBearer(server, user))
        .statusCode();
  }
}
