package com.rendertrust.server.testing;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One full server (embedded PostgreSQL and Redis, gRPC and REST) shared by the tests of a class:
 * started before the first, closed after the last, also when a test or the start fails. In place
 * of copied {@code @BeforeAll}/{@code @AfterAll} pairs: a static {@code @RegisterExtension} field,
 * declared after the static fields its callback fills, e.g. {@code static final SharedServer shared =
 * SharedServer.withLedger(JobsTesting::start, (s, l) -> { server = s; ledger = l; });}
 */
public final class SharedServer implements BeforeAllCallback, AfterAllCallback {

  private final Supplier<TestServer> start;
  private final Consumer<TestServer> onStart;
  private AutoCloseable alsoClose = () -> { };
  private TestServer server;

  private SharedServer(Supplier<TestServer> start, Consumer<TestServer> onStart) {
    this.start = start;
    this.onStart = onStart;
  }

  /** A server from {@code start}, handed to {@code onStart} before the first test. */
  public static SharedServer of(Supplier<TestServer> start, Consumer<TestServer> onStart) {
    return new SharedServer(start, onStart);
  }

  /** As {@link #of}, with the server's {@link JobLedger} for the money tests' invariants. */
  public static SharedServer withLedger(Supplier<TestServer> start, BiConsumer<TestServer, JobLedger> onStart) {
    return new SharedServer(start, server -> onStart.accept(server, JobLedger.of(server)));
  }

  /** A fresh server whose Stripe is a {@link FakeStripe} (closed with it), both handed to {@code onStart}. */
  public static SharedServer withFakeStripe(BiConsumer<TestServer, FakeStripe> onStart) {
    FakeStripe[] stripe = new FakeStripe[1];
    SharedServer shared = new SharedServer(() -> {
      stripe[0] = FakeStripe.start();
      return TestServer.start(TestServer.freshConfig().withCredits(stripe[0].creditsConfig()));
    }, server -> onStart.accept(server, stripe[0]));
    shared.alsoClose = () -> {
      if (stripe[0] != null) {
        stripe[0].close();
      }
    };
    return shared;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = start.get();
    onStart.accept(server);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try (AutoCloseable last = alsoClose) {
      if (server != null) {
        server.close();
      }
    }
  }
}
