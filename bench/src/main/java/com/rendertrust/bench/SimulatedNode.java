package com.rendertrust.bench;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobAccepted;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.JobOutcome;
import com.rendertrust.api.v1.JobProgress;
import com.rendertrust.api.v1.JobResult;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.OutputReady;
import com.rendertrust.api.v1.OutputTarget;
import com.rendertrust.api.v1.ProveNodeRequest;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node agent reduced to its protocol: an Ed25519 key, registration and proof over the public
 * NodeService, one Connect stream over its own TCP connection (h2c), heartbeats, and for every
 * dispatch JobAccepted, one progress frame and a COMPLETED result at once (the job's work itself
 * takes no time). With {@code upload}, it first PUTs a tiny result to the presigned URL, as a
 * real agent does; the server does not require it before COMPLETED. A task with frames (a render
 * task) always PUTs each frame to its OutputTarget and reports it (OutputReady) before COMPLETED,
 * because the server requires every frame delivered.
 */
final class SimulatedNode implements AutoCloseable {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration HEARTBEAT_PERIOD = Duration.ofSeconds(10);
  private static final byte[] RESULT = "{\"echo\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
  private static final String RESULT_SHA256 = sha256(RESULT);

  private final String name;
  private final KeyPair keys;
  private final ManagedChannel channel;
  private final JobTracker tracker;
  private final boolean upload;
  private final String capability;
  private final HttpClient http;
  private final CompletableFuture<Void> welcomed = new CompletableFuture<>();
  private final CompletableFuture<Throwable> ended = new CompletableFuture<>();
  private final AtomicLong cancels = new AtomicLong();
  private final AtomicLong failedUploads = new AtomicLong();
  private String nodeId;
  private String token;
  private StreamObserver<ConnectRequest> requests;
  private Thread heartbeats;

  private SimulatedNode(String name, KeyPair keys, ManagedChannel channel, JobTracker tracker, boolean upload,
      String capability) {
    this.name = name;
    this.keys = keys;
    this.channel = channel;
    this.tracker = tracker;
    this.upload = upload;
    this.capability = capability;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  /**
   * Registers a new key (linked to {@code operatorAccessToken}'s user, who earns the operator
   * share of captures), proves it, connects with {@code slots} and waits for Welcome.
   */
  static SimulatedNode start(String name, int port, String operatorAccessToken, int slots, JobTracker tracker,
      boolean upload) {
    return start(name, port, operatorAccessToken, slots, tracker, upload, "echo");
  }

  /** As above, for jobs of type {@code capability} (e.g. "render", whose tasks deliver every frame). */
  static SimulatedNode start(String name, int port, String operatorAccessToken, int slots, JobTracker tracker,
      boolean upload, String capability) {
    KeyPair keys;
    try {
      keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    SimulatedNode node = new SimulatedNode(name, keys, channel, tracker, upload, capability);
    try {
      node.registerAndProve(operatorAccessToken);
      node.connect(slots);
      return node;
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  /** The challenge is single-use and short-lived, so the proof follows the registration at once. */
  private void registerAndProve(String operatorAccessToken) {
    RegisterNodeResponse registered = NodeServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(operatorAccessToken)))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .registerNode(RegisterNodeRequest.newBuilder().setName(name).setPublicKey(pem(keys.getPublic().getEncoded()))
            .addCapabilities(capability).build());
    nodeId = registered.getNodeId();
    token = registered.getToken();
    String challenge = registered.getChallenge();
    NodeServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .proveNode(ProveNodeRequest.newBuilder().setNodeId(nodeId).setSignature(sign(challenge)).build());
  }

  private void connect(int slots) {
    requests = NodeServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
        .connect(new StreamObserver<>() {
          @Override
          public void onNext(ConnectResponse frame) {
            switch (frame.getKindCase()) {
              case WELCOME -> welcomed.complete(null);
              case DISPATCH -> onDispatch(frame.getDispatch());
              case CANCEL -> cancels.incrementAndGet();
              default -> {
                // drain: the benchmark ends first
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            welcomed.completeExceptionally(t);
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        });
    send(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setSlots(slots).addCapabilities(capability)
        .setAgentVersion("bench")).build());
    welcomed.orTimeout(10, TimeUnit.SECONDS).join();
    heartbeats = Thread.ofPlatform().daemon().name("heartbeat-" + name).start(() -> {
      while (!ended.isDone()) {
        try {
          Thread.sleep(HEARTBEAT_PERIOD.toMillis());
          send(ConnectRequest.newBuilder().setHeartbeat(NodeHeartbeat.newBuilder().setCurrentLoad(0.5)).build());
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          return; // the stream is gone; the benchmark notices through ended()
        }
      }
    });
  }

  private void onDispatch(JobDispatch dispatch) {
    tracker.dispatched(workKey(dispatch), System.nanoTime());
    if (upload || dispatch.getOutputsCount() > 0) {
      Thread.startVirtualThread(() -> run(dispatch));
    } else {
      run(dispatch);
    }
  }

  /** The job's whole life on the node: accepted (RUNNING), progress, (upload), COMPLETED. */
  private void run(JobDispatch dispatch) {
    String jobId = dispatch.getJobId();
    String assignmentId = dispatch.getAssignmentId();
    send(ConnectRequest.newBuilder().setAccepted(JobAccepted.newBuilder().setJobId(jobId)
        .setAssignmentId(assignmentId)).build());
    send(ConnectRequest.newBuilder().setProgress(JobProgress.newBuilder().setJobId(jobId)
        .setAssignmentId(assignmentId).setPercent(50)).build());
    if (upload && dispatch.getOutputsCount() == 0) {
      put(dispatch.getUploadUrl());
    }
    for (OutputTarget output : dispatch.getOutputsList()) {
      // a frame counts once the server has checked the stored object against this report
      if (put(output.getUploadUrl())) {
        send(ConnectRequest.newBuilder().setOutputReady(OutputReady.newBuilder().setJobId(jobId)
            .setAssignmentId(assignmentId).setFrame(output.getFrame()).setName(output.getName())
            .setSizeBytes(RESULT.length).setSha256(RESULT_SHA256)
            .setContentType(output.getUploadHeadersOrDefault("content-type", ""))).build());
      }
    }
    send(ConnectRequest.newBuilder().setResult(JobResult.newBuilder().setJobId(jobId).setAssignmentId(assignmentId)
        .setOutcome(JobOutcome.JOB_OUTCOME_COMPLETED).setRuntimeMs(0)).build());
    tracker.completed(workKey(dispatch));
  }

  /** The job of a one-task job; the task of a job with frames (one job has many tasks). */
  private static String workKey(JobDispatch dispatch) {
    return dispatch.getOutputsCount() > 0 ? dispatch.getTaskId() : dispatch.getJobId();
  }

  private boolean put(String url) {
    try {
      int status = http.send(HttpRequest.newBuilder(URI.create(url))
          .PUT(HttpRequest.BodyPublishers.ofByteArray(RESULT)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
      if (status / 100 == 2) {
        return true;
      }
    } catch (Exception e) {
      // counted below
    }
    failedUploads.incrementAndGet();
    return false;
  }

  /** Frames of one call must not be sent concurrently (dispatch handling, uploads, heartbeats). */
  private synchronized void send(ConnectRequest frame) {
    requests.onNext(frame);
  }

  /** Non-null once the stream ended: null for a clean end, else the failure. */
  CompletableFuture<Throwable> ended() {
    return ended;
  }

  long cancels() {
    return cancels.get();
  }

  long failedUploads() {
    return failedUploads.get();
  }

  @Override
  public void close() {
    if (heartbeats != null) {
      heartbeats.interrupt();
    }
    if (requests != null && !ended.isDone()) {
      try {
        synchronized (this) {
          requests.onCompleted();
        }
      } catch (RuntimeException ignored) {
        // already gone
      }
    }
    channel.shutdownNow();
  }

  private String sign(String challenge) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(keys.getPrivate());
      signer.update(challenge.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(signer.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(byte[] spki) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
  }

  static Metadata bearer(String token) {
    Metadata metadata = new Metadata();
    metadata.put(AUTHORIZATION, "Bearer " + token);
    return metadata;
  }
}
