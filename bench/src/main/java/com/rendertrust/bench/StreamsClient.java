package com.rendertrust.bench;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.NodeServiceGrpc;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node side of {@code bench/run-streams.sh}, in a JVM of its own (started by {@link
 * StreamsBenchmark}): registers N nodes over the public NodeService (RegisterNode with a fresh
 * Ed25519 key), opens one Connect stream per node over a few shared HTTP/2 connections (its Hello
 * proves the key with the signed challenge), and heartbeats every stream at the interval the server's
 * Welcome announces (the default, 30 s), each stream at its own random phase.
 *
 * <p>Talks to the parent on stdout, one line each: {@code READY streams=N failed=F} once every
 * stream got its Welcome, {@code DONE open=N dropped=D heartbeats=H} at the end; the streams are
 * closed once the parent closes this JVM's stdin. Progress goes to stderr.
 */
public final class StreamsClient {

  private StreamsClient() {
  }

  /** One node's stream, as the client sees it. */
  private static final class NodeStream {
    final CompletableFuture<ConnectResponse> welcome = new CompletableFuture<>();
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    volatile StreamObserver<ConnectRequest> requests;
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
    AtomicLong heartbeats = new AtomicLong();
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    List<NodeStream> open = registerAndConnect(channels, streams, concurrency, timers, heartbeats);
    long failed = open.stream().filter(stream -> stream.welcome.isCompletedExceptionally()
        || !stream.welcome.isDone()).count();
    System.out.println("READY streams=" + (open.size() - failed) + " failed=" + failed);
    System.out.flush();
    int interval = open.stream().filter(stream -> stream.welcome.isDone() && !stream.welcome.isCompletedExceptionally())
        .findFirst().map(stream -> stream.welcome.join().getWelcome().getHeartbeatIntervalSeconds()).orElse(30);
    System.err.printf("streams client: heartbeating %d streams every %d s for %d s%n", open.size(), interval, seconds);
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    timers.shutdownNow();
    long dropped = open.stream().filter(stream -> stream.ended.isDone()).count();
    System.out.println("DONE open=" + (open.size() - dropped) + " dropped=" + dropped + " heartbeats=" + heartbeats.get());
    System.out.flush();
    // the streams stay open until the parent has taken its figures (it then closes stdin)
    while (System.in.read() != -1) {
      // wait
    }
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

  /**
   * Per node, {@code concurrency} at a time: RegisterNode with a fresh key, then a Connect stream
   * whose Hello carries the signed challenge (the proof of the key, as an agent may send it), and
   * its Welcome. Every node is thereby registered and proven before its stream counts.
   */
  private static List<NodeStream> registerAndConnect(List<ManagedChannel> channels, int count, int concurrency,
      ScheduledExecutorService timers, AtomicLong heartbeats) throws InterruptedException {
    ConnectRequest heartbeat = ConnectRequest.newBuilder()
        .setHeartbeat(NodeHeartbeat.newBuilder().setCurrentLoad(0.0)).build();
    long started = System.nanoTime();
    List<NodeStream> streams = new ArrayList<>();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(concurrency);
    ExecutorService registrations = Executors.newVirtualThreadPerTaskExecutor();
    for (int i = 0; i < count; i++) {
      NodeStream stream = new NodeStream();
      streams.add(stream);
      ManagedChannel channel = channels.get(i % channels.size());
      String name = "stream-node-" + i;
      inFlight.acquire();
      stream.welcome.whenComplete((ignored, failure) -> inFlight.release());
      // heartbeats from the Welcome on, at the interval it names, each stream at its own phase
      stream.welcome.thenAccept(welcome -> {
        long period = TimeUnit.SECONDS.toMillis(welcome.getWelcome().getHeartbeatIntervalSeconds());
        timers.scheduleAtFixedRate(() -> {
          if (!stream.ended.isDone()) {
            try {
              stream.requests.onNext(heartbeat);
              heartbeats.incrementAndGet();
            } catch (RuntimeException e) {
              stream.ended.complete(e);
            }
          }
        }, ThreadLocalRandom.current().nextLong(period), period, TimeUnit.MILLISECONDS);
      });
      registrations.execute(() -> {
        try {
          open(channel, name, stream);
        } catch (Exception | Error e) {
          stream.welcome.completeExceptionally(e);
        }
      });
      if ((i + 1) % 1000 == 0) {
        System.err.printf("streams client: %d nodes registering or registered, %.1f s%n", i + 1,
            (System.nanoTime() - started) / 1e9);
      }
    }
    for (NodeStream stream : streams) {
      try {
        stream.welcome.get(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        // counted by the caller
      }
    }
    registrations.shutdown();
    System.err.printf("streams client: %d nodes registered, proven and welcomed in %.1f s%n", count,
        (System.nanoTime() - started) / 1e9);
    return streams;
  }

  private static void open(ManagedChannel channel, String name, NodeStream stream) throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(keys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    RegisterNodeResponse registered = NodeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .registerNode(RegisterNodeRequest.newBuilder().setName(name).setPublicKey(pem).addCapabilities("echo").build());
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(keys.getPrivate());
    signer.update(registered.getChallenge().getBytes(StandardCharsets.US_ASCII));
    stream.requests = NodeServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(SimulatedNode.bearer(registered.getToken())))
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
        .addCapabilities("echo").setAgentVersion("bench-streams")
        .setSignature(HexFormat.of().formatHex(signer.sign()))).build());
  }
}
