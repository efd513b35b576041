package com.rendertrust.server.uploads;

import static com.rendertrust.server.db.Tables.UPLOADS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.platform.config.UploadsConfig;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUploads;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The uploads API on the real server and its embedded store: declare, PUT, complete, limits, sweep. */
class UploadsApiTest {

  private static final long MAX = 64 * 1024;
  private static final long QUOTA = 160 * 1024;
  private static final Duration TTL = Duration.ofHours(2);
  private static final MutableClock clock = new MutableClock();
  private static TestServer server;
  private static TestUploads uploads;
  private static Path blobs;

  @BeforeAll
  static void start() {
    server = JobsTesting.start(JobsTesting.config(JobsTesting.fastJobs())
        .withUploads(new UploadsConfig(TTL, MAX, QUOTA, Duration.ofMinutes(5), Duration.ofHours(1))), clock);
    uploads = new TestUploads(server);
    blobs = server.config().dataDir().resolve("blobs");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void declarePutCompleteMakesTheUploadReady() {
    UUID user = UUID.randomUUID();
    byte[] bytes = TestUploads.randomBytes(50_000, 1);
    HttpResponse<String> created = uploads.create(user, "scene.blend", bytes.length, TestUploads.sha256(bytes).toUpperCase());
    assertThat(created.statusCode()).isEqualTo(201);
    JsonNode body = Json.parse(created.body());
    JsonNode upload = body.get("upload");
    assertThat(upload.get("status").asText()).isEqualTo("PENDING");
    assertThat(upload.get("filename").asText()).isEqualTo("scene.blend");
    assertThat(upload.get("size_bytes").asLong()).isEqualTo(bytes.length);
    assertThat(upload.get("sha256").asText()).isEqualTo(TestUploads.sha256(bytes));
    assertThat(upload.get("completed_at").isNull()).isTrue();
    assertThat(body.get("upload_method").asText()).isEqualTo("PUT");
    assertThat(body.get("expires_in").asInt()).isEqualTo((int) TTL.toSeconds());
    assertThat(body.get("upload_headers").get("content-type").asText()).isEqualTo("application/octet-stream");
    URI url = URI.create(body.get("upload_url").asText());
    assertThat(url.getPath()).endsWith(".blend").startsWith("/blobs/uploads/" + user + "/");
    assertThat(url.getQuery()).contains("size=" + bytes.length);

    String id = upload.get("id").asText();
    assertThat(uploads.complete(user, id).statusCode()).isEqualTo(409); // nothing PUT yet
    assertThat(TestUploads.put(body, bytes)).isEqualTo(200);
    HttpResponse<String> completed = uploads.complete(user, id);
    assertThat(completed.statusCode()).isEqualTo(200);
    JsonNode ready = Json.parse(completed.body()).get("upload");
    assertThat(ready.get("status").asText()).isEqualTo("READY");
    assertThat(ready.get("completed_at").isNull()).isFalse();
    assertThat(uploads.complete(user, id).statusCode()).isEqualTo(200); // again: unchanged
    assertThat(Json.parse(uploads.get(user, id).body()).get("upload").get("status").asText()).isEqualTo("READY");

    JsonNode list = Json.parse(server.get("/api/v1/uploads?limit=10", "Authorization",
        JobsTesting.userBearer(server, user)).body());
    assertThat(list.get("count").asInt()).isEqualTo(1);
    assertThat(list.get("uploads").get(0).get("id").asText()).isEqualTo(id);
    assertThat(server.get("/api/v1/uploads?limit=500", "Authorization", JobsTesting.userBearer(server, user))
        .statusCode()).isEqualTo(422);
  }

  @Test
  void nothingPutYetIs409UploadIncomplete() {
    UUID user = UUID.randomUUID();
    JsonNode created = uploads.declare(user, "a.bin", TestUploads.randomBytes(10, 2));
    HttpResponse<String> response = uploads.complete(user, created.get("upload").get("id").asText());
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(Json.parse(response.body()).get("reason").asText()).isEqualTo("UPLOAD_INCOMPLETE");
  }

  @Test
  void aWrongHashIs422AndTheBytesAreDeleted() throws Exception {
    UUID user = UUID.randomUUID();
    byte[] declared = TestUploads.randomBytes(1000, 3);
    byte[] other = TestUploads.randomBytes(1000, 4);
    JsonNode created = uploads.declare(user, "scene.blend", declared);
    String id = created.get("upload").get("id").asText();
    assertThat(TestUploads.put(created, other)).isEqualTo(200);
    Path stored = objectFile(id);
    assertThat(stored).exists();

    HttpResponse<String> response = uploads.complete(user, id);
    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(Json.parse(response.body()).get("reason").asText()).isEqualTo("UPLOAD_MISMATCH");
    assertThat(Json.parse(uploads.get(user, id).body()).get("upload").get("status").asText()).isEqualTo("FAILED");
    assertThat(stored).doesNotExist();
    assertThat(Files.list(stored.getParent()).toList()).isEmpty(); // its digest went too
  }

  @Test
  void fewerBytesThanDeclaredIs422AtComplete() {
    UUID user = UUID.randomUUID();
    byte[] declared = TestUploads.randomBytes(1000, 5);
    JsonNode created = uploads.declare(user, "x.bin", declared);
    assertThat(TestUploads.put(created, java.util.Arrays.copyOf(declared, 999))).isEqualTo(200);
    assertThat(uploads.complete(user, created.get("upload").get("id").asText()).statusCode()).isEqualTo(422);
  }

  @Test
  void moreBytesThanDeclaredIs413AndNothingIsStored() {
    UUID user = UUID.randomUUID();
    byte[] declared = TestUploads.randomBytes(1000, 6);
    JsonNode created = uploads.declare(user, "x.bin", declared);
    String id = created.get("upload").get("id").asText();
    assertThat(TestUploads.put(created, TestUploads.randomBytes(1001, 6))).isEqualTo(413);
    assertThat(objectFile(id)).doesNotExist();
    assertThat(uploads.complete(user, id).statusCode()).isEqualTo(409);
  }

  @Test
  void aBadOrExpiredSignatureIs403() {
    UUID user = UUID.randomUUID();
    byte[] bytes = TestUploads.randomBytes(100, 7);
    JsonNode created = uploads.declare(user, "x.bin", bytes);
    String url = created.get("upload_url").asText();
    JsonNode headers = created.get("upload_headers");
    String tampered = url.substring(0, url.length() - 1) + (url.endsWith("0") ? "1" : "0");
    assertThat(TestUploads.put(URI.create(tampered), headers, bytes)).isEqualTo(403);
    // a bigger size needs a signature of its own
    assertThat(TestUploads.put(URI.create(url.replace("size=100", "size=200")), headers, bytes)).isEqualTo(403);
    assertThat(TestUploads.put(URI.create(url.replaceAll("&size=100", "")), headers, bytes)).isEqualTo(403);
    clock.advance(TTL.plusSeconds(1));
    try {
      assertThat(TestUploads.put(URI.create(url), headers, bytes)).isEqualTo(403);
    } finally {
      clock.advance(TTL.plusSeconds(1).negated());
    }
    assertThat(TestUploads.put(URI.create(url), headers, bytes)).isEqualTo(200);
  }

  @Test
  void expiredPendingUploadsAreSweptWithTheirBytes() {
    UUID user = UUID.randomUUID();
    byte[] bytes = TestUploads.randomBytes(100, 8);
    JsonNode created = uploads.declare(user, "x.bin", bytes);
    String id = created.get("upload").get("id").asText();
    assertThat(TestUploads.put(created, bytes)).isEqualTo(200);
    String readyId = uploads.ready(user, "keep.bin", TestUploads.randomBytes(100, 9));
    Uploads feature = server.controlPlane().uploads();
    feature.sweep();
    assertThat(uploads.get(user, id).statusCode()).isEqualTo(200); // not expired yet

    clock.advance(TTL.plus(Uploads.SWEEP_GRACE).plusSeconds(1));
    try {
      assertThat(feature.sweep()).isGreaterThanOrEqualTo(1);
    } finally {
      clock.advance(TTL.plus(Uploads.SWEEP_GRACE).plusSeconds(1).negated());
    }
    assertThat(uploads.get(user, id).statusCode()).isEqualTo(404);
    assertThat(objectFile(id)).doesNotExist();
    assertThat(uploads.get(user, readyId).statusCode()).isEqualTo(200); // READY uploads never expire
    assertThat(objectFile(readyId)).exists();
  }

  @Test
  void aDeclaredSizeOverTheLimitIs413AndWritesNothing() {
    UUID user = UUID.randomUUID();
    int before = uploadCount();
    HttpResponse<String> response = uploads.create(user, "big.bin", MAX + 1, "a".repeat(64));
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(uploadCount()).isEqualTo(before);
    assertThat(uploads.create(user, "max.bin", MAX, "a".repeat(64)).statusCode()).isEqualTo(201);
  }

  @Test
  void theQuotaCountsPendingAndReadyUploads() {
    UUID user = UUID.randomUUID();
    String sha = "b".repeat(64);
    assertThat(uploads.create(user, "1.bin", MAX, sha).statusCode()).isEqualTo(201); // PENDING
    String ready = uploads.ready(user, "2.bin", TestUploads.randomBytes((int) MAX, 10));
    int before = uploadCount();
    HttpResponse<String> over = uploads.create(user, "3.bin", QUOTA - 2 * MAX + 1, sha);
    assertThat(over.statusCode()).isEqualTo(422);
    assertThat(Json.parse(over.body()).get("reason").asText()).isEqualTo("QUOTA_EXCEEDED");
    assertThat(uploadCount()).isEqualTo(before);
    // another user has a quota of their own
    assertThat(uploads.create(UUID.randomUUID(), "3.bin", QUOTA - 2 * MAX + 1, sha).statusCode()).isEqualTo(201);
    // deleting frees the space
    assertThat(uploads.delete(user, ready).statusCode()).isEqualTo(200);
    assertThat(uploads.create(user, "3.bin", QUOTA - 2 * MAX + 1, sha).statusCode()).isEqualTo(201);
  }

  @Test
  void invalidDeclarationsAre422AndWriteNothing() {
    UUID user = UUID.randomUUID();
    int before = uploadCount();
    assertThat(uploads.create(user, "x.bin", 10, "not-hex").statusCode()).isEqualTo(422);
    assertThat(uploads.create(user, "x.bin", 0, "a".repeat(64)).statusCode()).isEqualTo(422);
    assertThat(uploads.create(user, "", 10, "a".repeat(64)).statusCode()).isEqualTo(422);
    assertThat(uploads.create(user, "a/b.bin", 10, "a".repeat(64)).statusCode()).isEqualTo(422);
    assertThat(server.postJson("/api/v1/uploads", "{\"filename\":\"x\",\"size_bytes\":1,\"sha256\":\"" + "a".repeat(64)
        + "\",\"content_type\":\"not a type\"}", "Authorization", JobsTesting.userBearer(server, user)).statusCode())
        .isEqualTo(422);
    assertThat(uploadCount()).isEqualTo(before);
  }

  @Test
  void anotherUsersUploadAnswersLikeAMissingOne() {
    UUID owner = UUID.randomUUID();
    UUID stranger = UUID.randomUUID();
    String id = uploads.ready(owner, "mine.bin", TestUploads.randomBytes(10, 11));
    for (String target : new String[] {id, UUID.randomUUID().toString(), "not-a-uuid"}) {
      assertThat(uploads.get(stranger, target).statusCode()).isEqualTo(404);
      assertThat(uploads.complete(stranger, target).statusCode()).isEqualTo(404);
      assertThat(uploads.delete(stranger, target).statusCode()).isEqualTo(404);
    }
    assertThat(Json.parse(server.get("/api/v1/uploads", "Authorization", JobsTesting.userBearer(server, stranger))
        .body()).get("count").asInt()).isZero();
    assertThat(uploads.get(owner, id).statusCode()).isEqualTo(200);
    assertThat(server.get("/api/v1/uploads/" + id).statusCode()).isEqualTo(401);
  }

  @Test
  void deletingRemovesTheBytesAndKeepsTheUploadListedAsDeleted() {
    UUID user = UUID.randomUUID();
    String id = uploads.ready(user, "gone.bin", TestUploads.randomBytes(10, 12));
    HttpResponse<String> deleted = uploads.delete(user, id);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(Json.parse(deleted.body()).get("upload").get("status").asText()).isEqualTo("DELETED");
    assertThat(objectFile(id)).doesNotExist();
    assertThat(uploads.delete(user, id).statusCode()).isEqualTo(200);
    assertThat(uploads.complete(user, id).statusCode()).isEqualTo(404);
  }

  private static Path objectFile(String uploadId) {
    String key = server.controlPlane().database().dsl().select(UPLOADS.OBJECT_KEY).from(UPLOADS)
        .where(UPLOADS.ID.eq(UUID.fromString(uploadId))).fetchOne(UPLOADS.OBJECT_KEY);
    return blobs.resolve(key == null ? "uploads/none/" + uploadId : key);
  }

  private static int uploadCount() {
    return server.controlPlane().database().dsl().fetchCount(UPLOADS);
  }
}
