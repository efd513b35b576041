package com.rendertrust.server.sdk;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.OutputTarget;
import com.rendertrust.sdk.Job;
import com.rendertrust.sdk.JobOutput;
import com.rendertrust.sdk.JobTask;
import com.rendertrust.sdk.NotFoundException;
import com.rendertrust.sdk.OutputMismatchException;
import com.rendertrust.sdk.RenderRequest;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.Upload;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.testing.Downloads;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUploads;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's render calls against the real server over TCP: an uploaded scene is rendered as
 * frames 1-4 in tasks of 2 by two nodes on the Connect stream (test nodes acting as agents: they
 * PUT fake PNG frames to their output targets and report each), then the SDK follows the tasks,
 * lists the outputs and downloads every frame verified, and the whole job as a ZIP.
 */
class SdkRendersTest {

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static TestServer server;
  private final List<TestNode.Stream> nodes = new ArrayList<>();

  @TempDir
  Path files;

  @BeforeAll
  static void start() {
    server = TestServer.start(JobsTesting.config(JobsTesting.fastJobs()));
  }

  @AfterAll
  static void stop() {
    try {
      assertLedgerInvariants(server.controlPlane().database().dsl());
    } finally {
      server.close();
    }
  }

  @AfterEach
  void closeNodes() {
    nodes.forEach(TestNode.Stream::halfClose);
  }

  @Test
  void anUploadedSceneRendersOnTwoNodesAndEveryFrameDownloadsVerifiedOneByOneAndAsAZip() throws Exception {
    TestNode.Stream a = renderNode();
    TestNode.Stream b = renderNode();
    byte[] scene = TestUploads.randomBytes(200_000, 13);
    Path sceneFile = files.resolve("scene.blend");
    Files.write(sceneFile, scene);
    try (RenderTrustClient client = tcpClient()) {
      client.register("sdk-render-" + UUID.randomUUID() + "@example.com", "Ada", "correct horse battery");
      grant(client, 100);
      Upload upload = client.upload(sceneFile);

      Job submitted = client.renders().submit(RenderRequest.of(upload.id(), 1, 4).framesPerTask(2)
          .resolution(64, 48).samples(1).engine("CYCLES").format("PNG"));
      assertThat(submitted.jobType()).isEqualTo("render");
      assertThat(submitted.status()).isEqualTo("DISPATCHED");
      assertThat(submitted.framesTotal()).isEqualTo(4);
      assertThat(submitted.tasksTotal()).isEqualTo(2);
      assertThat(submitted.framesDone()).isZero();
      assertThat(submitted.progress()).isZero();

      JobDispatch onA = a.dispatch();
      JobDispatch onB = b.dispatch();
      for (JobDispatch dispatch : List.of(onA, onB)) {
        assertThat(dispatch.getJobId()).isEqualTo(submitted.id());
        assertThat(dispatch.getInputSha256()).as("the node reads the upload").isEqualTo(upload.sha256());
        assertThat(Downloads.bytes(dispatch.getInputUrl())).isEqualTo(scene);
        var payload = dispatch.getPayload().getFieldsMap();
        assertThat(payload.get("resolution_x").getNumberValue()).isEqualTo(64);
        assertThat(payload.get("resolution_y").getNumberValue()).isEqualTo(48);
        assertThat(payload.get("samples").getNumberValue()).isEqualTo(1);
        assertThat(payload.get("engine").getStringValue()).isEqualTo("CYCLES");
      }

      List<JobTask> tasks = client.renders().tasks(submitted.id());
      assertThat(tasks).extracting(JobTask::index).containsExactly(0, 1);
      assertThat(tasks).extracting(JobTask::frameStart).containsExactly(1, 3);
      assertThat(tasks).extracting(JobTask::frameEnd).containsExactly(2, 4);
      assertThat(tasks).extracting(JobTask::nodeId).as("one task on each node")
          .containsExactlyInAnyOrder(a.node().id().toString(), b.node().id().toString());

      a.accept(onA);
      a.deliverAll(onA, SdkRendersTest::frame);
      a.complete(onA);
      b.accept(onB);
      b.deliverAll(onB, SdkRendersTest::frame);
      b.complete(onB);
      Job done = client.awaitCompletion(submitted.id(), Duration.ofSeconds(30));
      assertThat(done.status()).isEqualTo("COMPLETED");
      assertThat(done.framesDone()).isEqualTo(4);
      assertThat(done.tasksDone()).isEqualTo(2);
      assertThat(done.progress()).isEqualTo(1.0);
      assertThat(done.errorCode()).isNull();
      assertThat(client.renders().tasks(done.id())).extracting(JobTask::status).containsOnly("COMPLETED");

      List<JobOutput> outputs = client.renders().outputs(done.id());
      assertThat(outputs).extracting(JobOutput::frame).containsExactly(1, 2, 3, 4);
      for (JobOutput output : outputs) {
        assertThat(output.name()).isEqualTo(String.format("frame_%04d.png", output.frame()));
        assertThat(output.sizeBytes()).isEqualTo(frame(output.frame()).length);
        assertThat(output.sha256()).isEqualTo(TestNode.sha256(frame(output.frame())));
        assertThat(output.contentType()).isEqualTo("image/png");
      }

      Path frames = files.resolve("frames");
      List<Path> downloaded = client.renders().downloadFrames(done.id(), frames);
      assertThat(downloaded).extracting(path -> path.getFileName().toString())
          .containsExactly("frame_0001.png", "frame_0002.png", "frame_0003.png", "frame_0004.png");
      for (int i = 0; i < 4; i++) {
        assertThat(downloaded.get(i).getParent()).isEqualTo(frames);
        assertThat(Files.readAllBytes(downloaded.get(i))).isEqualTo(frame(i + 1));
      }
      assertThat(listing(frames)).as("no temporary file left").hasSize(4);

      Path zip = client.downloadResult(done.id(), files.resolve("frames.zip"));
      Map<String, byte[]> entries = Downloads.unzip(Files.readAllBytes(zip));
      assertThat(entries.keySet()).containsExactly("frame_0001.png", "frame_0002.png", "frame_0003.png", "frame_0004.png");
      for (int frame = 1; frame <= 4; frame++) {
        assertThat(entries.get(String.format("frame_%04d.png", frame))).isEqualTo(frame(frame));
      }
      assertThat(client.balance().balance()).as("4 frames x 10 credits").isEqualByComparingTo(new BigDecimal("60"));

      try (RenderTrustClient stranger = tcpClient()) {
        stranger.register("sdk-render-stranger-" + UUID.randomUUID() + "@example.com", "Mallory", "correct horse battery");
        Path elsewhere = files.resolve("stolen");
        assertThatThrownBy(() -> stranger.renders().tasks(done.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> stranger.renders().outputs(done.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> stranger.renders().downloadFrames(done.id(), elsewhere))
            .isInstanceOf(NotFoundException.class);
        assertThat(elsewhere).doesNotExist();
        assertThatThrownBy(() -> client.renders().outputs(UUID.randomUUID().toString()))
            .isInstanceOf(NotFoundException.class);
      }
    }
  }

  @Test
  void aFrameWhoseStoredBytesChangedAfterDeliveryIsRefusedAndNotLeftOnDisk() throws Exception {
    TestNode.Stream node = renderNode();
    Path sceneFile = files.resolve("scene.blend");
    Files.write(sceneFile, TestUploads.randomBytes(10_000, 17));
    try (RenderTrustClient client = tcpClient()) {
      client.register("sdk-render-tampered-" + UUID.randomUUID() + "@example.com", "Lin", "correct horse battery");
      grant(client, 20);
      Upload upload = client.upload(sceneFile);
      Job job = client.renders().submit(RenderRequest.of(upload.id(), 1, 2).framesPerTask(2));
      JobDispatch dispatch = node.dispatch();
      node.accept(dispatch);
      node.deliverAll(dispatch, SdkRendersTest::frame);
      node.complete(dispatch);
      assertThat(client.awaitCompletion(job.id(), Duration.ofSeconds(30)).status()).isEqualTo("COMPLETED");

      // The stored frame 2 changes after the server checked it: same size, other bytes.
      OutputTarget second = dispatch.getOutputs(1);
      byte[] other = frame(2).clone();
      other[other.length - 1] ^= 1;
      assertThat(node.upload(second, other)).isEqualTo(200);

      Path frames = files.resolve("frames");
      assertThatThrownBy(() -> client.renders().downloadFrames(job.id(), frames))
          .isInstanceOfSatisfying(OutputMismatchException.class, e -> {
            assertThat(e.reason()).isEqualTo("OUTPUT_MISMATCH");
            assertThat(e.getMessage()).contains("frame 2", "frame_0002.png", "SHA-256", TestNode.sha256(frame(2)));
          });
      assertThat(listing(frames)).as("the verified frame 1 only, no partial file")
          .containsExactly(frames.resolve("frame_0001.png"));
      assertThat(Files.readAllBytes(frames.resolve("frame_0001.png"))).isEqualTo(frame(1));
    }
  }

  private TestNode.Stream renderNode() {
    TestNode node = TestNode.ready(server.channel(), "sdk-render-node", List.of("render"));
    TestNode.Stream stream = node.connect(server.channel(), 1).keepAlive(Duration.ofSeconds(5), null);
    nodes.add(stream);
    stream.welcome();
    return stream;
  }

  private static RenderTrustClient tcpClient() {
    return RenderTrustClient.connect("http://127.0.0.1:" + server.controlPlane().httpPort());
  }

  private static void grant(RenderTrustClient client, int credits) {
    UUID user = UUID.fromString(client.balance().userId());
    server.controlPlane().credits().adjust(user, CreditAmount.ofCredits(credits), "sdk-render-grant-" + user, "grant");
  }

  /** Fake PNG bytes, distinct per frame: the signature, then a few kilobytes naming the frame. */
  private static byte[] frame(int frame) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(PNG_SIGNATURE);
    bytes.writeBytes(("frame " + frame + " ").repeat(400 + frame).getBytes(StandardCharsets.US_ASCII));
    return bytes.toByteArray();
  }

  private static List<Path> listing(Path directory) throws Exception {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries.sorted().toList();
    }
  }
}
