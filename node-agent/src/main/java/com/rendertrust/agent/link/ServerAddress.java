package com.rendertrust.agent.link;

import com.rendertrust.agent.config.ConfigException;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's one port, from the URL an operator types: {@code http://host:port} speaks
 * gRPC over cleartext HTTP/2 (h2c, the embedded default), {@code https://host[:port]} over TLS
 * with the system trust store. A bare {@code host:port} means http.
 */
public record ServerAddress(String url, String host, int port, boolean tls) {

  public static ServerAddress parse(String raw) {
    String text = raw.strip();
    if (!text.contains("://")) {
      text = "http://" + text;
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new ConfigException("server URL '" + raw + "' is not a URL (e.g. http://localhost:8000)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new ConfigException("server URL '" + raw + "' must start with http:// or https://");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new ConfigException("server URL '" + raw + "' has no host");
    }
    boolean tls = scheme.equals("https");
    int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 443 : 80);
    String canonical = scheme + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    return new ServerAddress(canonical, uri.getHost(), port, tls);
  }

  /**
   * A channel to the server. HTTP/2 pings every {@code keepAlive} find a dead link (a half-open
   * TCP connection) long before TCP would; the server must permit that ping rate.
   */
  public ManagedChannel openChannel(Duration keepAlive) {
    ChannelCredentials credentials = tls ? TlsChannelCredentials.create() : InsecureChannelCredentials.create();
    ManagedChannelBuilder<?> builder = Grpc.newChannelBuilderForAddress(host, port, credentials)
        .userAgent("rendertrust-node-agent")
        .maxInboundMessageSize(4 * 1024 * 1024);
    if (!keepAlive.isZero()) {
      builder.keepAliveTime(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
          .keepAliveTimeout(Math.max(5_000, keepAlive.toMillis() / 3), TimeUnit.MILLISECONDS);
    }
    return builder.build();
  }

  @Override
  public String toString() {
    return url;
  }
}
