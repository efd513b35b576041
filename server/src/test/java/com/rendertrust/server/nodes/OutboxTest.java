package com.rendertrust.server.nodes;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.CallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flow control of a stream's outbound side, against a transport whose readiness the test sets. */
class OutboxTest {

  /** A transport: records what was written and whether the call was closed (and how often). */
  private static final class FakeTransport extends CallStreamObserver<String> {
    boolean ready;
    final List<String> written = new ArrayList<>();
    final List<Object> closes = new ArrayList<>();

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
    }

    @Override
    public void disableAutoInboundFlowControl() {
    }

    @Override
    public void request(int count) {
    }

    @Override
    public void setMessageCompression(boolean enable) {
    }

    @Override
    public void onNext(String value) {
      written.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closes.add(t);
    }

    @Override
    public void onCompleted() {
      closes.add("OK");
    }
  }

  @Test
  void framesWaitWhileTheTransportIsNotReadyAndLeaveInOrderWhenItIs() {
    FakeTransport transport = new FakeTransport();
    Outbox<String> outbox = new Outbox<>(transport, 3);
    transport.ready = true;
    assertThat(outbox.offer("a")).isEqualTo(Outbox.Offer.ACCEPTED);
    transport.ready = false;
    assertThat(outbox.offer("b")).isEqualTo(Outbox.Offer.ACCEPTED);
    assertThat(outbox.offer("c")).isEqualTo(Outbox.Offer.ACCEPTED);
    assertThat(transport.written).containsExactly("a");
    assertThat(outbox.waiting()).isEqualTo(2);
    transport.ready = true;
    outbox.drain(); // what the transport's on-ready callback does
    assertThat(transport.written).containsExactly("a", "b", "c");
    assertThat(outbox.waiting()).isZero();
  }

  @Test
  void aPeerThatStopsReadingFillsTheOutboxAndNoMore() {
    FakeTransport transport = new FakeTransport();
    Outbox<String> outbox = new Outbox<>(transport, NodeSession.MAX_OUTBOX);
    for (int i = 0; i < NodeSession.MAX_OUTBOX; i++) {
      assertThat(outbox.offer("frame " + i)).isEqualTo(Outbox.Offer.ACCEPTED);
    }
    assertThat(outbox.offer("one too many")).isEqualTo(Outbox.Offer.FULL);
    assertThat(outbox.waiting()).isEqualTo(NodeSession.MAX_OUTBOX);
    assertThat(transport.written).isEmpty();
  }

  @Test
  void theCallIsClosedExactlyOnceAndNothingIsWrittenAfterwards() {
    FakeTransport transport = new FakeTransport();
    Outbox<String> outbox = new Outbox<>(transport, 10);
    transport.ready = false;
    outbox.offer("pending");
    IllegalStateException failure = new IllegalStateException("x");
    assertThat(outbox.close(failure, true)).isTrue();
    assertThat(outbox.close(null, true)).isFalse();
    assertThat(outbox.close(null, false)).isFalse();
    assertThat(transport.closes).containsExactly(failure);
    transport.ready = true;
    outbox.drain();
    assertThat(outbox.offer("late")).isEqualTo(Outbox.Offer.CLOSED);
    assertThat(transport.written).isEmpty();
  }

  @Test
  void aCallThePeerAlreadyLeftIsNotToldAgain() {
    FakeTransport transport = new FakeTransport();
    Outbox<String> outbox = new Outbox<>(transport, 10);
    assertThat(outbox.close(null, false)).isTrue();
    assertThat(transport.closes).isEmpty();
    assertThat(outbox.isClosed()).isTrue();
  }
}
