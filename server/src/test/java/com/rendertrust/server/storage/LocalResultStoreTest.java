package com.rendertrust.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded result store end to end over the server's HTTP port: signed, expiring, contained. */
class LocalResultStoreTest {

  private static final MutableClock clock = new MutableClock();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static Path directory;
  private static TestServer server;
  private static ResultStore store;

  @BeforeAll
  static void start() throws Exception {
    directory = Files.createTempDirectory("rendertrust-store");
    StorageConfig storage = new StorageConfig(Optional.of(directory), Optional.empty(), Optional.empty(), 64 * 1024,
        Duration.ofHours(1), Optional.empty());
    server = TestServer.start(TestServer.testConfig()
            .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
            .withRedis(TestInfrastructure.redisUrl())
            .withStorage(storage),
        clock);
    store = server.controlPlane().resultStore();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void anUploadedObjectDownloadsByteForByte() throws Exception {
    byte[] bytes = new byte[50_000];
    new Random(7).nextBytes(bytes);
    URI upload = store.uploadUrl("results/job-1/attempt-1", clock.instant().plusSeconds(600));
    assertThat(upload.getPath()).isEqualTo("/blobs/results/job-1/attempt-1");
    assertThat(upload.getQuery()).matches("expires=\\d+&signature=[0-9a-f]{64}");
    assertThat(put(upload, bytes)).isEqualTo(200);

    HttpResponse<byte[]> download = get(store.downloadUrl("results/job-1/attempt-1", Duration.ofHours(1)));
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.body()).isEqualTo(bytes);
    assertThat(download.headers().firstValue("content-type")).contains("application/octet-stream");
    assertThat(Files.readAllBytes(directory.resolve("results/job-1/attempt-1"))).isEqualTo(bytes);
  }

  @Test
  void expiredUrlsAreRefused() throws Exception {
    URI upload = store.uploadUrl("results/job-2/a", clock.instant().plusSeconds(60));
    URI download = store.downloadUrl("results/job-2/a", Duration.ofSeconds(60));
    assertThat(put(upload, "ok".getBytes())).isEqualTo(200);
    clock.advance(Duration.ofSeconds(61));
    assertThat(put(upload, "late".getBytes())).isEqualTo(403);
    HttpResponse<byte[]> refused = get(download);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(Json.parse(new String(refused.body())).get("detail").asText()).isEqualTo("invalid or expired URL");
    assertThat(Files.readString(directory.resolve("results/job-2/a"))).isEqualTo("ok");
  }

  @Test
  void tamperedUrlsAreRefused() throws Exception {
    URI upload = store.uploadUrl("results/job-3/a", clock.instant().plusSeconds(600));
    URI download = store.downloadUrl("results/job-3/a", Duration.ofSeconds(600));
    assertThat(put(upload, "original".getBytes())).isEqualTo(200);
    String query = download.getQuery();
    long expires = Long.parseLong(query.substring("expires=".length(), query.indexOf('&')));
    String signature = query.substring(query.indexOf("signature=") + "signature=".length());

    // another key with a valid signature of this one
    assertThat(get(URI.create(download.toString().replace("job-3", "job-4"))).statusCode()).isEqualTo(403);
    // a later expiry
    assertThat(get(URI.create(download.toString().replace("expires=" + expires, "expires=" + (expires + 3600))))
        .statusCode()).isEqualTo(403);
    // a flipped signature character
    String flipped = signature.substring(0, 10) + (signature.charAt(10) == 'a' ? 'b' : 'a') + signature.substring(11);
    assertThat(get(URI.create(download.toString().replace(signature, flipped))).statusCode()).isEqualTo(403);
    // no signature at all, and a download URL used to upload
    assertThat(get(URI.create(download.toString().substring(0, download.toString().indexOf('?')))).statusCode())
        .isEqualTo(403);
    assertThat(put(download, "overwrite".getBytes())).isEqualTo(403);
    assertThat(Files.readString(directory.resolve("results/job-3/a"))).isEqualTo("original");
  }

  @Test
  void pathsOutsideTheStoreCannotBeNamed() throws Exception {
    Files.writeString(directory.getParent().resolve("outside-secret.txt"), "secret");
    int base = server.controlPlane().httpPort();
    for (String path : List.of("/blobs/../outside-secret.txt", "/blobs/%2e%2e/outside-secret.txt",
        "/blobs/results/%2E%2E/%2E%2E/outside-secret.txt", "/blobs/.signing-key", "/blobs/results//x")) {
      HttpResponse<byte[]> response = get(URI.create("http://127.0.0.1:" + base + path + "?expires=9999999999&signature=00"));
      assertThat(response.statusCode()).as(path).isIn(400, 403, 404);
      assertThat(new String(response.body())).doesNotContain("secret");
    }
    // keys with traversal are refused when signing, too: the store never issues such a URL
    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> store.uploadUrl("results/../../escape", clock.instant().plusSeconds(60))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void uploadsOverTheSizeLimitAreRefusedAndLeaveNothing() throws Exception {
    URI upload = store.uploadUrl("results/job-5/a", clock.instant().plusSeconds(600));
    assertThat(put(upload, new byte[64 * 1024 + 1])).isEqualTo(413);
    assertThat(Files.exists(directory.resolve("results/job-5/a"))).isFalse();
    // the 413 may reach the client before the aborted upload's temporary file is deleted
    com.rendertrust.server.testing.JobsTesting.eventually("no temporary file left behind", () -> {
      try (var files = Files.list(directory.resolve("results/job-5"))) {
        return files.findAny().isEmpty();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(put(upload, new byte[64 * 1024])).isEqualTo(200);
  }

  @Test
  void aMissingObjectIs404() throws Exception {
    assertThat(get(store.downloadUrl("results/never/uploaded", Duration.ofMinutes(1))).statusCode()).isEqualTo(404);
  }

  private static int put(URI url, byte[] bytes) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(url).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static HttpResponse<byte[]> get(URI url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
