package com.rendertrust.server.testing;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.grpc.GrpcClients;
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
import com.rendertrust.api.v1.ProveNodeResponse;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import com.rendertrust.api.v1.RunningJob;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
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
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A scripted node agent for tests: an Ed25519 key, registration, proof, and Connect streams. */
public final class TestNode {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final KeyPair keys;
  private final String publicKeyPem;
  private UUID nodeId;
  private String token;
  private String challenge;

  private TestNode(KeyPair keys, String publicKeyPem) {
    this.keys = keys;
    this.publicKeyPem = publicKeyPem;
  }

  private TestNode(KeyPair keys) {
    this(keys, pem(keys.getPublic().getEncoded()));
  }

  /**
   * An impostor: registers {@code victim}'s public key (which is no secret) but signs with a
   * private key of its own.
   */
  public static TestNode claimingKeyOf(TestNode victim) {
    return new TestNode(withNewKey().keys, victim.publicKeyPem);
  }

  public static TestNode withNewKey() {
    try {
      return new TestNode(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Lowercase hex SHA-256, as nodes report outputs. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(byte[] spki) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
  }

  /** A gRPC channel to a server over real TCP (h2c), closed with the returned factory. */
  public static Connection tcp(int port) {
    ClientFactory factory = ClientFactory.builder().build();
    NodeServiceGrpc.NodeServiceStub stub = GrpcClients.builder("http://127.0.0.1:" + port)
        .factory(factory)
        .responseTimeout(Duration.ZERO)
        .maxResponseLength(0)
        .build(NodeServiceGrpc.NodeServiceStub.class);
    return new Connection(stub.getChannel(), factory);
  }

  /** A TCP connection of a node; closing it drops every stream on it, like a crash of the agent. */
  public record Connection(Channel channel, ClientFactory factory) implements AutoCloseable {
    @Override
    public void close() {
      factory.close();
    }
  }

  public String publicKeyPem() {
    return publicKeyPem;
  }

  public UUID id() {
    return nodeId;
  }

  public String token() {
    return token;
  }

  public String challenge() {
    return challenge;
  }

  public RegisterNodeResponse register(Channel channel, String name, List<String> capabilities) {
    return register(channel, name, capabilities, null);
  }

  /** Registers (or re-registers) this key; {@code operatorBearer} links an operator when given. */
  public RegisterNodeResponse register(Channel channel, String name, List<String> capabilities, String operatorBearer) {
    NodeServiceGrpc.NodeServiceBlockingStub stub = NodeServiceGrpc.newBlockingStub(channel);
    if (operatorBearer != null) {
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization(operatorBearer)));
    }
    RegisterNodeResponse response = stub.withDeadlineAfter(10, TimeUnit.SECONDS).registerNode(RegisterNodeRequest.newBuilder()
        .setName(name).setPublicKey(publicKeyPem).addAllCapabilities(capabilities).build());
    nodeId = UUID.fromString(response.getNodeId());
    token = response.getToken();
    challenge = response.getChallenge();
    return response;
  }

  public String sign(String text) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(keys.getPrivate());
      signer.update(text.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(signer.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public ProveNodeResponse prove(Channel channel) {
    return blocking(channel).proveNode(ProveNodeRequest.newBuilder()
        .setNodeId(nodeId.toString()).setSignature(sign(challenge)).build());
  }

  public NodeServiceGrpc.NodeServiceBlockingStub blocking(Channel channel) {
    return NodeServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization(JobsTesting.nodeBearer(token))))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** Registers, proves and connects: a node ready for jobs. */
  public static TestNode ready(Channel channel, String name, List<String> capabilities) {
    TestNode node = withNewKey();
    node.register(channel, name, capabilities);
    node.prove(channel);
    return node;
  }

  public Stream connect(Channel channel, int slots) {
    return connect(channel, Hello.newBuilder().setSlots(slots).setAgentVersion("test"));
  }

  public Stream connect(Channel channel, Hello.Builder hello) {
    return connectWithFirstFrame(channel, ConnectRequest.newBuilder().setHello(hello).build());
  }

  /** Opens a stream and sends {@code first} (normally a hello) as its first frame. */
  public Stream connectWithFirstFrame(Channel channel, ConnectRequest first) {
    Stream stream = new Stream(this);
    NodeServiceGrpc.NodeServiceStub stub = NodeServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization(JobsTesting.nodeBearer(token))));
    stream.requests = stub.connect(stream.observer());
    stream.send(first);
    return stream;
  }

  private static Metadata authorization(String bearer) {
    Metadata metadata = new Metadata();
    metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), bearer);
    return metadata;
  }

  /** One Connect stream: frames received, how it ended, and the node's side of the protocol. */
  public static final class Stream {
    private final TestNode node;
    private final BlockingQueue<ConnectResponse> received = new LinkedBlockingQueue<>();
    private final List<ConnectResponse> kept = new java.util.ArrayList<>();
    private final CompletableFuture<Status> closed = new CompletableFuture<>();
    private volatile Throwable failure;
    private StreamObserver<ConnectRequest> requests;

    private Stream(TestNode node) {
      this.node = node;
    }

    private StreamObserver<ConnectResponse> observer() {
      return new StreamObserver<>() {
        @Override
        public void onNext(ConnectResponse value) {
          received.add(value);
        }

        @Override
        public void onError(Throwable t) {
          failure = t;
          closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
          closed.complete(Status.OK);
        }
      };
    }

    public synchronized void send(ConnectRequest frame) {
      requests.onNext(frame);
    }

    /**
     * The oldest frame matching {@code filter}; frames of other kinds stay available for later
     * calls (the order of a cancel and a dispatch sent together is not part of the protocol).
     * Fails after the wait.
     */
    public ConnectResponse next(Predicate<ConnectResponse> filter) {
      ConnectResponse frame = poll(filter, WAIT);
      if (frame == null) {
        throw new AssertionError("no matching frame within " + WAIT + "; stream closed: " + closed.getNow(null));
      }
      return frame;
    }

    public ConnectResponse welcome() {
      return next(ConnectResponse::hasWelcome);
    }

    public JobDispatch dispatch() {
      return next(ConnectResponse::hasDispatch).getDispatch();
    }

    public ConnectResponse cancel() {
      return next(ConnectResponse::hasCancel);
    }

    /** The oldest frame matching {@code filter} received within {@code wait}, or null; others are kept. */
    public ConnectResponse poll(Predicate<ConnectResponse> filter, Duration wait) {
      synchronized (kept) {
        return pollKept(filter, wait);
      }
    }

    private ConnectResponse pollKept(Predicate<ConnectResponse> filter, Duration wait) {
      long deadline = System.nanoTime() + wait.toNanos();
      try {
        while (true) {
          received.drainTo(kept);
          for (java.util.Iterator<ConnectResponse> it = kept.iterator(); it.hasNext(); ) {
            ConnectResponse frame = it.next();
            if (filter.test(frame)) {
              it.remove();
              return frame;
            }
          }
          if (System.nanoTime() >= deadline) {
            return null;
          }
          ConnectResponse frame = received.poll(20, TimeUnit.MILLISECONDS);
          if (frame != null) {
            kept.add(frame);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    public Status awaitClose() {
      try {
        return closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new AssertionError("the stream did not end within " + WAIT, e);
      }
    }

    /** The ErrorInfo reason the stream ended with (after {@link #awaitClose}), or null. */
    public String closeReason() {
      awaitClose();
      return failure == null ? null : GrpcAssertions.reasonOf(failure);
    }

    public boolean isClosed() {
      return closed.isDone();
    }

    /** Sends a heartbeat every {@code period} (with {@code metadata}, may be null) until the stream ends. */
    public Stream keepAlive(Duration period, com.google.protobuf.Struct metadata) {
      Thread.ofVirtual().start(() -> {
        while (!closed.isDone()) {
          NodeHeartbeat.Builder heartbeat = NodeHeartbeat.newBuilder().setCurrentLoad(0.1);
          if (metadata != null) {
            heartbeat.setMetadata(metadata);
          }
          try {
            send(ConnectRequest.newBuilder().setHeartbeat(heartbeat).build());
            Thread.sleep(period.toMillis());
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            return; // the stream is gone
          }
        }
      });
      return this;
    }

    public void heartbeat(double load) {
      send(ConnectRequest.newBuilder().setHeartbeat(NodeHeartbeat.newBuilder().setCurrentLoad(load)).build());
    }

    public void accept(JobDispatch dispatch) {
      send(ConnectRequest.newBuilder().setAccepted(JobAccepted.newBuilder()
          .setJobId(dispatch.getJobId()).setAssignmentId(dispatch.getAssignmentId())).build());
    }

    public void progress(JobDispatch dispatch, int percent) {
      send(ConnectRequest.newBuilder().setProgress(JobProgress.newBuilder()
          .setJobId(dispatch.getJobId()).setAssignmentId(dispatch.getAssignmentId()).setPercent(percent)).build());
    }

    public void complete(JobDispatch dispatch) {
      result(dispatch.getJobId(), dispatch.getAssignmentId(), JobOutcome.JOB_OUTCOME_COMPLETED, "");
    }

    public void fail(JobDispatch dispatch, String error) {
      result(dispatch.getJobId(), dispatch.getAssignmentId(), JobOutcome.JOB_OUTCOME_FAILED, error);
    }

    public void result(String jobId, String assignmentId, JobOutcome outcome, String error) {
      send(ConnectRequest.newBuilder().setResult(JobResult.newBuilder()
          .setJobId(jobId).setAssignmentId(assignmentId).setOutcome(outcome).setErrorMessage(error)
          .setRuntimeMs(5)).build());
    }

    /** Uploads the result bytes to the dispatch's presigned URL; returns the HTTP status. */
    public int upload(JobDispatch dispatch, byte[] bytes) {
      return put(dispatch.getUploadUrl(), bytes);
    }

    /** Uploads one output to its presigned URL; returns the HTTP status. */
    public int upload(OutputTarget target, byte[] bytes) {
      return put(target.getUploadUrl(), bytes);
    }

    private static int put(String url, byte[] bytes) {
      try {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /** Reports an uploaded output of the dispatch's task, as {@code size} bytes with {@code sha256}. */
    public void outputReady(JobDispatch dispatch, OutputTarget target, long size, String sha256) {
      send(ConnectRequest.newBuilder().setOutputReady(OutputReady.newBuilder()
          .setJobId(dispatch.getJobId()).setAssignmentId(dispatch.getAssignmentId())
          .setFrame(target.getFrame()).setName(target.getName()).setSizeBytes(size).setSha256(sha256)
          .setContentType(target.getUploadHeadersOrDefault("content-type", ""))).build());
    }

    /** Uploads every output of the dispatch's task ({@code bytesOf} frame) and reports each truthfully. */
    public void deliverAll(JobDispatch dispatch, java.util.function.IntFunction<byte[]> bytesOf) {
      for (OutputTarget target : dispatch.getOutputsList()) {
        byte[] bytes = bytesOf.apply(target.getFrame());
        if (upload(target, bytes) != 200) {
          throw new AssertionError("upload of " + target.getName() + " failed");
        }
        outputReady(dispatch, target, bytes.length, sha256(bytes));
      }
    }

    /** Fails the dispatch's task with a typed error code. */
    public void fail(JobDispatch dispatch, String error, String errorCode) {
      send(ConnectRequest.newBuilder().setResult(JobResult.newBuilder()
          .setJobId(dispatch.getJobId()).setAssignmentId(dispatch.getAssignmentId())
          .setOutcome(JobOutcome.JOB_OUTCOME_FAILED).setErrorMessage(error).setErrorCode(errorCode)
          .setRuntimeMs(5)).build());
    }


    public synchronized void halfClose() {
      requests.onCompleted();
    }

    public synchronized void abort() {
      requests.onError(Status.CANCELLED.withDescription("test node went away").asRuntimeException());
    }

    public static RunningJob running(JobDispatch dispatch) {
      return RunningJob.newBuilder().setJobId(dispatch.getJobId()).setAssignmentId(dispatch.getAssignmentId()).build();
    }

    public TestNode node() {
      return node;
    }
  }
}
