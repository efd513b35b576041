package com.rendertrust.agent.testing;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.ProveNodeRequest;
import com.rendertrust.api.v1.ProveNodeResponse;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import com.rendertrust.api.v1.Welcome;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * TEST DOUBLE of the remote control plane's NodeService, implementing the contract in
 * {@code node_service.proto} as the agent sees it (the real server is built on another branch):
 * RegisterNode with an Ed25519 PEM (same key → same node id, fresh challenge and token),
 * ProveNode verifying the hex signature over the challenge's ASCII bytes, and a Connect stream
 * that checks the bearer token, expects Hello first, answers Welcome and records every frame.
 * Tests drive the stream (dispatch, cancel, drain, drop) and read what the agent sent.
 * Served over real TCP (h2c) on a random port, as the agent reaches the real server.
 */
public final class FakeControlPlane implements AutoCloseable {

  private static final Context.Key<String> AUTHORIZATION = Context.key("authorization");
  private static final Metadata.Key<String> AUTHORIZATION_HEADER =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** A node as the fake knows it. */
  public static final class FakeNode {
    public final String nodeId;
    public final String publicKeyPem;
    public volatile String name;
    public volatile List<String> capabilities;
    public volatile Struct metadata;
    public volatile String operatorBearer;
    public volatile String pendingChallenge;
    public volatile boolean verified;
    public final AtomicInteger registrations = new AtomicInteger();
    public final AtomicInteger proofsVerified = new AtomicInteger();

    FakeNode(String nodeId, String publicKeyPem) {
      this.nodeId = nodeId;
      this.publicKeyPem = publicKeyPem;
    }
  }

  private volatile Server server;
  private final ServerInterceptor captureAuthorization;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, FakeNode> nodesByKey = new ConcurrentHashMap<>();
  private final Map<String, FakeNode> nodesById = new ConcurrentHashMap<>();
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Map<String, Instant> tokenExpiry = new ConcurrentHashMap<>();
  private final List<FakeNodeStream> streams = new CopyOnWriteArrayList<>();
  private final List<Instant> connectAttempts = new CopyOnWriteArrayList<>();
  private final AtomicInteger connectsToReject = new AtomicInteger();
  private final AtomicInteger proofsToFail = new AtomicInteger();
  private volatile Status rejectConnectStatus = Status.UNAVAILABLE.withDescription("fake: server restarting");
  private volatile String rejectConnectReason = "DEPENDENCY_UNAVAILABLE";
  private volatile int heartbeatIntervalSeconds = 1;
  private volatile Duration tokenLifetime = Duration.ofHours(24);

  public FakeControlPlane() throws IOException {
    this(0);
  }

  public FakeControlPlane(int port) throws IOException {
    captureAuthorization = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String value = headers.get(AUTHORIZATION_HEADER);
        return Contexts.interceptCall(Context.current().withValue(AUTHORIZATION, value), call, headers, next);
      }
    };
    server = serve(port);
  }

  private Server serve(int port) throws IOException {
    return Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(new Service(), captureAuthorization))
        .build()
        .start();
  }

  /**
   * A server restart: stops serving (connections are refused) for {@code downtime}, then serves
   * again on the same port, remembering its nodes like a control plane's database would.
   */
  public void restartAfter(Duration downtime) throws IOException, InterruptedException {
    int port = port();
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    Thread.sleep(downtime.toMillis());
    server = serve(port);
  }

  public int port() {
    return server.getPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public void heartbeatIntervalSeconds(int seconds) {
    this.heartbeatIntervalSeconds = seconds;
  }

  public void tokenLifetime(Duration lifetime) {
    this.tokenLifetime = lifetime;
  }

  /** The next {@code count} Connect attempts fail with UNAVAILABLE (server restarting). */
  public void rejectNextConnects(int count) {
    connectsToReject.set(count);
  }

  /** The next {@code count} Connect attempts fail with this status and ErrorInfo reason. */
  public void rejectNextConnects(int count, Status status, String reason) {
    rejectConnectStatus = status;
    rejectConnectReason = reason;
    connectsToReject.set(count);
  }

  /** The next {@code count} ProveNode calls fail with UNAVAILABLE (the proof never arrives). */
  public void failNextProofs(int count) {
    proofsToFail.set(count);
  }

  /** Forgets every issued token, as if the signing key changed: the agent must renew. */
  public void revokeAllTokens() {
    tokens.clear();
  }

  public List<Instant> connectAttempts() {
    return List.copyOf(connectAttempts);
  }

  public List<FakeNodeStream> streams() {
    return List.copyOf(streams);
  }

  public Optional<FakeNode> nodeByKey(String publicKeyPem) {
    return Optional.ofNullable(nodesByKey.get(publicKeyPem.strip()));
  }

  public Optional<FakeNode> node(String nodeId) {
    return Optional.ofNullable(nodesById.get(nodeId));
  }

  public List<FakeNode> nodes() {
    return new ArrayList<>(nodesById.values());
  }

  /** Waits for the {@code index}-th stream (0-based) to be established. */
  public FakeNodeStream awaitStream(int index, Duration timeout) {
    return Await.until(() -> streams.size() > index ? Optional.of(streams.get(index)) : Optional.empty(), timeout,
        "stream #" + index + " to open");
  }

  /** Waits for a frame on the stream that matches. */
  public static ConnectRequest awaitFrame(FakeNodeStream stream, Predicate<ConnectRequest> match, Duration timeout, String what) {
    return Await.until(() -> stream.frames.stream().filter(match).findFirst(), timeout, what);
  }

  @Override
  public void close() {
    for (FakeNodeStream stream : streams) {
      stream.close();
    }
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static StatusRuntimeException error(Status.Code code, String reason, String message) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(message)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain("rendertrust.com").build()))
        .build());
  }

  private String issueToken(String nodeId) {
    Instant now = Instant.now();
    Instant expires = now.plus(tokenLifetime);
    String header = base64Url("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}");
    String payload = base64Url("{\"sub\":\"" + nodeId + "\",\"token_type\":\"node\",\"iat\":" + now.getEpochSecond()
        + ",\"exp\":" + expires.getEpochSecond() + ",\"jti\":\"" + UUID.randomUUID() + "\"}");
    String token = header + "." + payload + "." + base64Url(UUID.randomUUID().toString());
    tokens.put(token, nodeId);
    tokenExpiry.put(token, expires);
    return token;
  }

  private static String base64Url(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The node of the caller's bearer token, or an UNAUTHENTICATED error as the contract states. */
  private FakeNode authenticatedNode() {
    String header = AUTHORIZATION.get();
    if (header == null || !header.startsWith("Bearer ")) {
      throw error(Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "no bearer token");
    }
    String token = header.substring("Bearer ".length());
    String nodeId = tokens.get(token);
    if (nodeId == null || tokenExpiry.get(token).isBefore(Instant.now())) {
      throw error(Status.Code.UNAUTHENTICATED, "TOKEN_INVALID", "invalid or expired node token");
    }
    return nodesById.get(nodeId);
  }

  static boolean verify(String publicKeyPem, String challenge, String signatureHex) {
    try {
      String body = publicKeyPem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "");
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getMimeDecoder().decode(body)));
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(challenge.getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(HexFormat.of().parseHex(signatureHex));
    } catch (Exception e) {
      return false;
    }
  }

  private final class Service extends NodeServiceGrpc.NodeServiceImplBase {

    @Override
    public void registerNode(RegisterNodeRequest request, StreamObserver<RegisterNodeResponse> responses) {
      if (request.getName().isBlank() || request.getCapabilitiesCount() == 0
          || !request.getPublicKey().startsWith("-----BEGIN PUBLIC KEY-----")) {
        responses.onError(error(Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED", "name, public_key and capabilities are required"));
        return;
      }
      String bearer = AUTHORIZATION.get();
      if (bearer != null && !bearer.equals("Bearer operator-access-token")) {
        responses.onError(error(Status.Code.UNAUTHENTICATED, "TOKEN_INVALID", "invalid access token"));
        return;
      }
      FakeNode node = nodesByKey.computeIfAbsent(request.getPublicKey().strip(), pem -> {
        FakeNode created = new FakeNode(UUID.randomUUID().toString(), pem);
        nodesById.put(created.nodeId, created);
        return created;
      });
      node.name = request.getName();
      node.capabilities = List.copyOf(request.getCapabilitiesList());
      node.metadata = request.getMetadata();
      if (bearer != null) {
        node.operatorBearer = bearer;
      }
      byte[] challenge = new byte[32];
      random.nextBytes(challenge);
      node.pendingChallenge = HexFormat.of().formatHex(challenge);
      node.verified = false;
      node.registrations.incrementAndGet();
      responses.onNext(RegisterNodeResponse.newBuilder().setNodeId(node.nodeId).setChallenge(node.pendingChallenge)
          .setToken(issueToken(node.nodeId)).setStatus("REGISTERED").build());
      responses.onCompleted();
    }

    @Override
    public void proveNode(ProveNodeRequest request, StreamObserver<ProveNodeResponse> responses) {
      if (proofsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        responses.onError(Status.UNAVAILABLE.withDescription("fake: proof lost").asRuntimeException());
        return;
      }
      FakeNode node;
      try {
        node = authenticatedNode();
      } catch (StatusRuntimeException e) {
        responses.onError(e);
        return;
      }
      if (!node.nodeId.equals(request.getNodeId())) {
        responses.onError(error(Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", "token of another node"));
        return;
      }
      if (!request.getSignature().matches("[0-9a-fA-F]{128}")) {
        responses.onError(error(Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED", "signature must be 128 hex characters"));
        return;
      }
      String challenge = node.pendingChallenge;
      if (challenge == null || !verify(node.publicKeyPem, challenge, request.getSignature())) {
        responses.onError(error(Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED", "signature does not verify"));
        return;
      }
      node.pendingChallenge = null;
      node.verified = true;
      node.proofsVerified.incrementAndGet();
      responses.onNext(ProveNodeResponse.newBuilder().setNodeId(node.nodeId).setStatus("HEALTHY").setVerified(true).build());
      responses.onCompleted();
    }

    @Override
    public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responseObserver) {
      ServerCallStreamObserver<ConnectResponse> responses = (ServerCallStreamObserver<ConnectResponse>) responseObserver;
      connectAttempts.add(Instant.now());
      String authorization = AUTHORIZATION.get();
      return new StreamObserver<>() {
        private FakeNodeStream stream;
        private boolean failed;

        @Override
        public void onNext(ConnectRequest frame) {
          if (failed) {
            return;
          }
          if (stream == null) {
            open(frame);
            return;
          }
          stream.frames.add(frame);
        }

        private void open(ConnectRequest frame) {
          if (connectsToReject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            fail(error(rejectConnectStatus.getCode(), rejectConnectReason,
                rejectConnectStatus.getDescription() == null ? "rejected" : rejectConnectStatus.getDescription()));
            return;
          }
          FakeNode node;
          try {
            node = Context.current().withValue(AUTHORIZATION, authorization).call(FakeControlPlane.this::authenticatedNode);
          } catch (StatusRuntimeException e) {
            fail(e);
            return;
          } catch (Exception e) {
            fail(Status.INTERNAL.withCause(e).asRuntimeException());
            return;
          }
          if (!frame.hasHello()) {
            fail(error(Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", "first frame must be hello"));
            return;
          }
          Hello hello = frame.getHello();
          if (!node.verified) {
            if (!hello.hasSignature()) {
              fail(error(Status.Code.FAILED_PRECONDITION, "NODE_NOT_VERIFIED", "prove the key first"));
              return;
            }
            if (node.pendingChallenge == null || !verify(node.publicKeyPem, node.pendingChallenge, hello.getSignature())) {
              fail(error(Status.Code.UNAUTHENTICATED, "CHALLENGE_FAILED", "bad hello signature"));
              return;
            }
            node.pendingChallenge = null;
            node.verified = true;
            node.proofsVerified.incrementAndGet();
          }
          // A node has at most one open stream: a new one replaces the previous.
          for (FakeNodeStream previous : streams) {
            if (previous.nodeId.equals(node.nodeId) && !previous.ended) {
              previous.drop(Status.ABORTED.withDescription("replaced by a newer stream"));
            }
          }
          stream = new FakeNodeStream(node.nodeId, hello, responses);
          stream.send(ConnectResponse.newBuilder().setWelcome(Welcome.newBuilder().setNodeId(node.nodeId)
              .setHeartbeatIntervalSeconds(heartbeatIntervalSeconds).setHeartbeatTimeoutSeconds(90)).build());
          streams.add(stream);
        }

        private void fail(StatusRuntimeException e) {
          failed = true;
          responses.onError(e);
        }

        @Override
        public void onError(Throwable t) {
          if (stream != null) {
            stream.ended = true;
          }
        }

        @Override
        public void onCompleted() {
          if (stream != null) {
            stream.endedByClient = true;
            stream.close();
          } else if (!failed) {
            responses.onCompleted();
          }
        }
      };
    }
  }

  /** A JobDispatch builder with test defaults: deadline in 10 minutes. */
  public static JobDispatch.Builder dispatch(String jobId, String jobType, String payloadJson, String uploadUrl) {
    JobDispatch.Builder builder = JobDispatch.newBuilder()
        .setJobId(jobId)
        .setAssignmentId("asg-" + jobId)
        .setJobType(jobType)
        .setUploadUrl(uploadUrl)
        .setDeadline(Instant.now().plus(Duration.ofMinutes(10)).toString())
        .setMaxRuntimeSeconds(600);
    if (payloadJson != null) {
      Struct.Builder payload = Struct.newBuilder();
      try {
        JsonFormat.parser().merge(payloadJson, payload);
      } catch (Exception e) {
        throw new IllegalArgumentException(e);
      }
      builder.setPayload(payload);
    }
    return builder;
  }
}
