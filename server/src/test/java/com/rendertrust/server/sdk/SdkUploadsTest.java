package com.rendertrust.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.sdk.NotFoundException;
import com.rendertrust.sdk.Page;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.Upload;
import com.rendertrust.sdk.ValidationException;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.config.UploadsConfig;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUploads;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's uploads against the real server over TCP: a file goes up, is READY, downloads byte for byte. */
class SdkUploadsTest {

  private static final long MAX = 2 * 1024 * 1024;
  private static TestServer server;

  @TempDir
  Path files;

  @BeforeAll
  static void start() {
    // results are capped below the upload size: an upload URL's own signed size is its limit
    StorageConfig smallResults = new StorageConfig(Optional.empty(), Optional.empty(), Optional.empty(), 1024 * 1024,
        Duration.ofHours(1), Optional.empty());
    server = TestServer.start(JobsTesting.config(JobsTesting.fastJobs()).withStorage(smallResults)
        .withUploads(new UploadsConfig(Duration.ofHours(1), MAX, 4 * MAX, Duration.ofMinutes(5), Duration.ofHours(1))));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aFileUploadsCompletesAndIsListedThenDeleted() throws Exception {
    byte[] scene = TestUploads.randomBytes(1_500_000, 31);
    Path file = files.resolve("scene.blend");
    Files.write(file, scene);
    try (RenderTrustClient client = RenderTrustClient.connect("http://127.0.0.1:" + server.controlPlane().httpPort())) {
      client.register("sdk-uploads-" + UUID.randomUUID() + "@example.com", "Ada", "correct horse battery");

      Upload upload = client.upload(file);
      assertThat(upload.isReady()).isTrue();
      assertThat(upload.filename()).isEqualTo("scene.blend");
      assertThat(upload.sizeBytes()).isEqualTo(scene.length);
      assertThat(upload.sha256()).isEqualTo(TestUploads.sha256(scene));
      assertThat(upload.completedAt()).isNotNull();
      // the stored bytes are the file's, byte for byte
      String key = "uploads/" + server.controlPlane().database().dsl()
          .fetchValue("select user_id::text from uploads where id = ?::uuid", upload.id()) + "/" + upload.id() + ".blend";
      HttpResponse<byte[]> stored = TestUploads.download(
          server.controlPlane().resultStore().downloadUrl(key, Duration.ofMinutes(1)).toString());
      assertThat(stored.body()).isEqualTo(scene);

      assertThat(client.uploads().get(upload.id())).isEqualTo(upload);
      Page<Upload> page = client.uploads().list(10, 0);
      assertThat(page.total()).isEqualTo(1);
      assertThat(page.items()).extracting(Upload::id).containsExactly(upload.id());

      assertThat(client.uploads().delete(upload.id()).status()).isEqualTo("DELETED");
      assertThatThrownBy(() -> client.uploads().get(UUID.randomUUID().toString())).isInstanceOf(NotFoundException.class);
    }
  }

  @Test
  void aFileOverTheLimitIsRefusedBeforeAnyByteMoves() throws Exception {
    Path file = files.resolve("huge.bin");
    Files.write(file, new byte[(int) MAX + 1]);
    try (RenderTrustClient client = RenderTrustClient.connect("http://127.0.0.1:" + server.controlPlane().httpPort())) {
      client.register("sdk-uploads-big-" + UUID.randomUUID() + "@example.com", "Ada", "correct horse battery");
      assertThatThrownBy(() -> client.upload(file)).isInstanceOf(ValidationException.class)
          .hasMessageContaining("over the upload limit");
      assertThat(client.uploads().list(10, 0).total()).isZero();
    }
  }
}
