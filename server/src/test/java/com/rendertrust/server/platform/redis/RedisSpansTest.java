package com.rendertrust.server.platform.redis;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.testing.TestInfrastructure;
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
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each command the server sends to (real, embedded) Redis is a CLIENT span, child of the span
 * current where the command was issued, whichever Lettuce API issued it; error replies mark it
 * ERROR; keys and values are not recorded.
 */
class RedisSpansTest {

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private OpenTelemetrySdk openTelemetry;
  private RedisConnector redis;

  @BeforeEach
  void connect() {
    openTelemetry = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    redis = RedisConnector.connect(TestInfrastructure.redisUrl(), openTelemetry);
  }

  @AfterEach
  void close() {
    redis.close();
    openTelemetry.close();
  }

  @Test
  void commandsAreSpansUnderTheSpanCurrentWhereTheyWereIssued() {
    String key = "rt:test:" + UUID.randomUUID();
    Span parent = openTelemetry.getTracer("test").spanBuilder("a call").startSpan();
    try (Scope scope = parent.makeCurrent()) {
      redis.connection().sync().set(key, "secret-value");
      assertThat(RedisCalls.await(redis.connection().async().get(key), Duration.ofSeconds(5))).isEqualTo("secret-value");
      assertThatThrownBy(() -> redis.connection().sync().incr(key)).as("an error reply").isInstanceOf(RuntimeException.class);
    } finally {
      parent.end();
    }
    eventually("three command spans", () -> under(parent).size() == 3);

    List<SpanData> commands = under(parent);
    assertThat(commands).extracting(SpanData::getName).containsExactly("redis SET", "redis GET", "redis INCR");
    int port = URI.create(TestInfrastructure.redisUrl()).getPort();
    assertThat(commands).allSatisfy(span -> {
      assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(span.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
      assertThat(span.getAttributes().get(AttributeKey.stringKey("db.system"))).isEqualTo("redis");
      assertThat(span.getAttributes().get(AttributeKey.longKey("server.port"))).isEqualTo(port);
      assertThat(span.getAttributes().asMap().values()).noneMatch(value -> value.toString().contains(key)
          || value.toString().contains("secret-value"));
    });
    assertThat(commands.get(0).getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
    assertThat(commands.get(2).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(commands.get(2).getStatus().getDescription()).contains("not an integer");
  }

  @Test
  void aCommandIssuedOutsideAnySpanStartsATraceOfItsOwn() {
    assertThat(redis.ping()).isTrue();
    eventually("the PING span", () -> spans.getFinishedSpanItems().stream().anyMatch(span -> span.getName().equals("redis PING")));
    SpanData ping = spans.getFinishedSpanItems().stream().filter(span -> span.getName().equals("redis PING")).findFirst()
        .orElseThrow();
    assertThat(ping.getParentSpanContext().isValid()).isFalse();
  }

  private List<SpanData> under(Span parent) {
    return spans.getFinishedSpanItems().stream()
        .filter(span -> span.getParentSpanId().equals(parent.getSpanContext().getSpanId()))
        .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos))
        .toList();
  }
}
