package com.rendertrust.bench;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.ProveNodeRequest;
import com.rendertrust.api.v1.RegisterNodeRequest;
import com.rendertrust.api.v1.RegisterNodeResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node side of {@code bench/run-streams.sh}, in a JVM of its own (started by {@link
 * StreamsBenchmark}): registers N nodes over the public NodeService (RegisterNode with a fresh
 * Ed25519 key, then ProveNode with the signed challenge), opens one Connect stream per node over
 * a few shared HTTP/2 connections, and heartbeats every stream at the interval the server's
 * Welcome announces (the default, 30 s), each stream at its own random phase.
 *
 * <p>Talks to the parent on stdout, one line each: {@code READY streams=N failed=F} once every
 * stream got its Welcome, {@code DONE open=N dropped=D heartbeats=H} at the end. Progress goes
 * to stderr.
 */
public final class StreamsClient {

  private StreamsClient() {
  }

  /** One node's stream, as the client sees it. */
  private static final class NodeStream {
    final CompletableFuture<ConnectResponse> welcome = new CompletableFuture<>();
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<ConnectRequest> requests;
  }

  public static void main(String[] args) throws Exception {
    int port = 0;
    int streams = 10_000;
    int connections = 8;
    int seconds = 60;
    int concurrency = 32;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--streams" -> streams = Integer.parseInt(args[++i]);
        case "--connections" -> connections = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
          .keepAliveTime(5, TimeUnit.MINUTES).build());
    }
    List<String> tokens = register(channels, streams, concurrency);
    List<NodeStream> open = connect(channels, tokens, concurrency);
    long failed = open.stream().filter(stream -> stream.welcome.isCompletedExceptionally()
        || !stream.welcome.isDone()).count();
    System.out.println("READY streams=" + (open.size() - failed) + " failed=" + failed);
    System.out.flush();

    int interval = open.stream().filter(stream -> stream.welcome.isDone() && !stream.welcome.isCompletedExceptionally())
        .findFirst().map(stream -> stream.welcome.join().getWelcome().getHeartbeatIntervalSeconds()).orElse(30);
    AtomicLong heartbeats = new AtomicLong();
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    ConnectRequest heartbeat = ConnectRequest.newBuilder()
        .setHeartbeat(NodeHeartbeat.newBuilder().setCurrentLoad(0.0)).build();
    for (NodeStream stream : open) {
      long phase = ThreadLocalRandom.current().nextLong(TimeUnit.SECONDS.toMillis(interval));
      timers.scheduleAtFixedRate(() -> {
        if (!stream.ended.isDone()) {
          try {
            stream.requests.onNext(heartbeat);
            heartbeats.incrementAndGet();
          } catch (RuntimeException e) {
            stream.ended.complete(e);
          }
        }
      }, phase, TimeUnit.SECONDS.toMillis(interval), TimeUnit.MILLISECONDS);
    }
    System.err.printf("streams client: heartbeating %d streams every %d s for %d s%n", open.size(), interval, seconds);
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    timers.shutdownNow();
    long dropped = open.stream().filter(stream -> stream.ended.isDone()).count();
    System.out.println("DONE open=" + (open.size() - dropped) + " dropped=" + dropped + " heartbeats=" + heartbeats.get());
    System.out.flush();
    for (NodeStream stream : open) {
      if (!stream.ended.isDone()) {
        try {
          stream.requests.onCompleted();
        } catch (RuntimeException ignored) {
          // gone already
        }
      }
    }
    Thread.sleep(1000);
    channels.forEach(ManagedChannel::shutdownNow);
    System.exit(0);
  }

  /** RegisterNode + ProveNode per node, {@code concurrency} at a time; the nodes' proven tokens. */
  private static List<String> register(List<ManagedChannel> channels, int count, int concurrency) throws Exception {
    long started = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    List<Future<String>> tokens = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ManagedChannel channel = channels.get(i % channels.size());
      String name = "stream-node-" + i;
      tokens.add(pool.submit(() -> registerAndProve(channel, name)));
    }
    List<String> result = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      result.add(tokens.get(i).get());
      if ((i + 1) % 1000 == 0) {
        System.err.printf("streams client: %d nodes registered and proven%n", i + 1);
      }
    }
    pool.shutdown();
    System.err.printf("streams client: %d nodes registered and proven in %.1f s%n", count,
        (System.nanoTime() - started) / 1e9);
    return result;
  }

  private static String registerAndProve(ManagedChannel channel, String name) throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(keys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    RegisterNodeResponse registered = NodeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .registerNode(RegisterNodeRequest.newBuilder().setName(name).setPublicKey(pem).addCapabilities("echo").build());
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(keys.getPrivate());
    signer.update(registered.getChallenge().getBytes(StandardCharsets.US_ASCII));
    NodeServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(SimulatedNode.bearer(registered.getToken())))
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .proveNode(ProveNodeRequest.newBuilder().setNodeId(registered.getNodeId())
            .setSignature(HexFormat.of().formatHex(signer.sign())).build());
    return registered.getToken();
  }

  /** Opens a stream per token, at most {@code concurrency} Hellos waiting for their Welcome at once. */
  private static List<NodeStream> connect(List<ManagedChannel> channels, List<String> tokens, int concurrency)
      throws InterruptedException {
    long started = System.nanoTime();
    List<NodeStream> streams = new ArrayList<>();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(concurrency);
    for (int i = 0; i < tokens.size(); i++) {
      NodeStream stream = new NodeStream();
      streams.add(stream);
      inFlight.acquire();
      stream.welcome.whenComplete((ignored, failure) -> inFlight.release());
      stream.requests = NodeServiceGrpc.newStub(channels.get(i % channels.size()))
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(SimulatedNode.bearer(tokens.get(i))))
          .connect(new StreamObserver<>() {
            @Override
            public void onNext(ConnectResponse frame) {
              if (frame.hasWelcome()) {
                stream.welcome.complete(frame);
              }
            }

            @Override
            public void onError(Throwable t) {
              stream.welcome.completeExceptionally(t);
              stream.ended.complete(t);
            }

            @Override
            public void onCompleted() {
              stream.welcome.completeExceptionally(new IllegalStateException("ended before Welcome"));
              stream.ended.complete(null);
            }
          });
      stream.requests.onNext(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setSlots(1)
          .addCapabilities("echo").setAgentVersion("bench-streams")).build());
      if ((i + 1) % 1000 == 0) {
        System.err.printf("streams client: %d streams opened%n", i + 1);
      }
    }
    for (NodeStream stream : streams) {
      try {
        stream.welcome.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        // counted by the caller
      }
    }
    System.err.printf("streams client: %d streams welcomed in %.1f s%n", streams.size(),
        (System.nanoTime() - started) / 1e9);
    return streams;
  }
}
