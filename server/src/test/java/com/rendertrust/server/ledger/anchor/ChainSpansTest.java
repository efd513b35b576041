package com.rendertrust.server.ledger.anchor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.testing.TestChain;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each JSON-RPC call of anchoring is a CLIENT span ({@code chain <method>}) under the current span, against real anvil. */
class ChainSpansTest {

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private OpenTelemetrySdk openTelemetry;

  @BeforeEach
  void sdk() {
    openTelemetry = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
  }

  @AfterEach
  void close() {
    openTelemetry.close();
  }

  @Test
  void callsAreSpansUnderTheCurrentSpan() {
    try (TestChain anvil = TestChain.start();
        ChainClient chain = ChainClient.connect(anvil.rpcUrl(), AnvilProcess.DEV_PRIVATE_KEY, Duration.ofSeconds(5))
            .traced(openTelemetry.getTracer("test"))) {
      Span parent = openTelemetry.getTracer("test").spanBuilder("anchoring pass").startSpan();
      try (Scope scope = parent.makeCurrent()) {
        assertThat(chain.blockNumber()).isEqualTo(anvil.blockNumber());
        assertThat(chain.hasCode(chain.senderAddress())).isFalse();
      } finally {
        parent.end();
      }
      List<SpanData> calls = spans.getFinishedSpanItems().stream()
          .filter(span -> span.getParentSpanId().equals(parent.getSpanContext().getSpanId())).toList();
      assertThat(calls).extracting(SpanData::getName).containsExactly("chain eth_blockNumber", "chain eth_getCode");
      assertThat(calls).allSatisfy(span -> {
        assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(span.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
        assertThat(span.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("jsonrpc");
        assertThat(span.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
      });
    }
  }

  @Test
  void aCallToAChainThatDoesNotAnswerEndsItsSpanWithAnError() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (ChainClient chain = ChainClient.connect("http://127.0.0.1:" + closedPort, AnvilProcess.DEV_PRIVATE_KEY,
        Duration.ofSeconds(2)).traced(openTelemetry.getTracer("test"))) {
      assertThatThrownBy(chain::blockNumber).isInstanceOf(ChainUnavailableException.class);
    }
    assertThat(spans.getFinishedSpanItems()).singleElement().satisfies(span -> {
      assertThat(span.getName()).isEqualTo("chain eth_blockNumber");
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    });
  }
}
