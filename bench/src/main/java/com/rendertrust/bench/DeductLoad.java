package com.rendertrust.bench;

import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DeductRequest;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop clients, one user and one connection each, calling Deduct over gRPC (h2c on
 * loopback) as fast as answers come back; counts the successful deductions.
 */
final class DeductLoad {

  record Result(long succeeded, long failed, Duration elapsed) {

    double perSecond() {
      return succeeded / (elapsed.toNanos() / 1e9);
    }
  }

  private final int port;
  private final List<UUID> users;
  private final java.util.Map<UUID, String> accessTokens;

  /** {@code accessTokens}: a real access token per user, so every call passes the production access policy. */
  DeductLoad(int port, List<UUID> users, java.util.Map<UUID, String> accessTokens) {
    this.accessTokens = java.util.Map.copyOf(accessTokens);
    this.port = port;
    this.users = List.copyOf(users);
  }

  Result run(int clients, Duration duration, String runName) throws InterruptedException {
    if (clients > users.size()) {
      throw new IllegalArgumentException("need a funded user per client");
    }
    AtomicLong succeeded = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    long[] deadline = new long[1];
    for (int c = 0; c < clients; c++) {
      UUID user = users.get(c);
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      channels.add(channel);
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + accessTokens.get(user));
      CreditServiceGrpc.CreditServiceBlockingStub stub = CreditServiceGrpc.newBlockingStub(
          ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)));
      String prefix = runName + "-" + c + "-";
      Thread thread = Thread.ofPlatform().name("deduct-client-" + c).start(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        long n = 0;
        while (System.nanoTime() < deadline[0]) {
          try {
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).deduct(DeductRequest.newBuilder()
                .setAmount("0.0001").setReferenceId(prefix + n++).setDescription("bench").build());
            succeeded.incrementAndGet();
          } catch (StatusRuntimeException e) {
            failed.incrementAndGet();
          }
        }
      });
      threads.add(thread);
    }
    long started = System.nanoTime();
    deadline[0] = started + duration.toNanos();
    start.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    channels.forEach(ManagedChannel::shutdownNow);
    return new Result(succeeded.get(), failed.get(), elapsed);
  }
}
