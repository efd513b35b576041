package com.rendertrust.server.platform.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One Lettuce client and one shared connection for the whole process. Redis only holds what may
 * be lost, so commands fail fast while it is down instead of queueing behind a dead socket.
 */
public final class RedisConnector implements AutoCloseable {

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  private RedisConnector(ClientResources resources, RedisClient client,
      StatefulRedisConnection<String, String> connection) {
    this.resources = resources;
    this.client = client;
    this.connection = connection;
  }

  public static RedisConnector connect(String redisUrl) {
    return connect(redisUrl, OpenTelemetry.noop());
  }

  /** As above, with a span for each command (see {@link RedisSpans}) unless {@code openTelemetry} is the no-op one. */
  public static RedisConnector connect(String redisUrl, OpenTelemetry openTelemetry) {
    ClientResources resources = ClientResources.builder()
        .tracing(RedisSpans.of(openTelemetry))
        // Reconnect quickly after an outage so readiness and limits recover within seconds.
        .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
        .build();
    RedisClient client = RedisClient.create(resources, RedisURI.create(redisUrl));
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
        .build());
    try {
      return new RedisConnector(resources, client, client.connect());
    } catch (RuntimeException e) {
      client.shutdown();
      resources.shutdown();
      throw e;
    }
  }

  public StatefulRedisConnection<String, String> connection() {
    return connection;
  }

  /**
   * A new connection for pub/sub (a subscribed connection cannot run other commands). It
   * reconnects and re-subscribes its channels by itself; the caller closes it.
   */
  public StatefulRedisPubSubConnection<String, String> connectPubSub() {
    return client.connectPubSub();
  }

  /** True when Redis answers PING within the command timeout. */
  public boolean ping() {
    try {
      return "PONG".equals(connection.async().ping().get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
    resources.shutdown();
  }
}
