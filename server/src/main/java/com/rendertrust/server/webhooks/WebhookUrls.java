package com.rendertrust.server.webhooks;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.net.CidrBlock;
import com.rendertrust.server.platform.net.InputUrlPolicy;
import com.rendertrust.server.platform.net.PrivateAddresses;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The rules of endpoint URLs: {@code https} (or {@code http} with RT_WEBHOOK_ALLOW_HTTP), at most
 * {@link #MAX_LENGTH} characters, a host and no credentials, and a host that does not resolve
 * to a loopback, private or link-local address (unless RT_WEBHOOK_ALLOW_PRIVATE). The address
 * check runs when the endpoint is created and again before every attempt, on the addresses the
 * attempt then connects to (see {@link PinnedPoster}), so DNS rebinding gets nowhere.
 */
final class WebhookUrls {

  static final int MAX_LENGTH = 2048;

  /** An attempt's host resolved to a refused address, or did not resolve. */
  static final class RefusedAddress extends Exception {
    RefusedAddress(String message) {
      super(message);
    }
  }

  private final boolean allowHttp;
  private final boolean allowPrivate;
  private final InputUrlPolicy.HostResolver resolver;
  /** The syntax rules of user-chosen URLs (no user info, standard IPv4 forms); ranges are checked here. */
  private final InputUrlPolicy syntax;

  WebhookUrls(boolean allowHttp, boolean allowPrivate, InputUrlPolicy.HostResolver resolver) {
    this.allowHttp = allowHttp;
    this.allowPrivate = allowPrivate;
    this.resolver = resolver;
    this.syntax = new InputUrlPolicy(true, resolver);
  }

  /** The URL of a new endpoint, checked; 422 VALIDATION_FAILED naming {@code url} otherwise. */
  URI validate(String text) {
    String url = text == null ? "" : text.strip();
    if (url.isEmpty()) {
      throw invalid("url is required");
    }
    if (url.length() > MAX_LENGTH) {
      throw invalid("url must be at most " + MAX_LENGTH + " characters");
    }
    if (!InputUrlPolicy.isUrl(url)) {
      throw invalid("url must be an https URL, like https://example.com/hooks");
    }
    syntax.check("url", url);
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid("url is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("http") && !allowHttp) {
      throw invalid("url must use https (plain http is allowed only with RT_WEBHOOK_ALLOW_HTTP)");
    }
    if (uri.getRawFragment() != null) {
      throw invalid("url must not have a fragment ('#...')");
    }
    try {
      checkedAddresses(uri);
    } catch (RefusedAddress e) {
      throw invalid("url " + e.getMessage());
    } catch (UnknownHostException e) {
      // not resolvable here and now: accepted; every attempt resolves and checks again
    }
    return uri;
  }

  /**
   * Every address of the URL's host, each one allowed; an attempt connects to these and never
   * resolves the name again.
   */
  List<InetAddress> checkedAddresses(URI uri) throws RefusedAddress, UnknownHostException {
    String host = uri.getHost();
    if (host == null) {
      throw new RefusedAddress("has no host");
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    int zone = bare.indexOf('%');
    if (zone >= 0) {
      bare = bare.substring(0, zone);
    }
    Optional<InetAddress> literal = CidrBlock.parseLiteral(bare);
    List<InetAddress> addresses = literal.isPresent() ? List.of(literal.get()) : List.of(resolver.resolve(bare));
    if (addresses.isEmpty()) {
      throw new UnknownHostException(bare);
    }
    if (!allowPrivate) {
      String name = bare.toLowerCase(Locale.ROOT);
      if (name.equals("localhost") || name.endsWith(".localhost")) {
        throw new RefusedAddress("host '" + host + "' is loopback, which webhooks must not reach"
            + " (RT_WEBHOOK_ALLOW_PRIVATE is off)");
      }
      for (InetAddress address : addresses) {
        Optional<String> range = PrivateAddresses.rangeOf(address);
        if (range.isPresent()) {
          throw new RefusedAddress("host '" + host + "' is or resolves to a " + range.get()
              + " address, which webhooks must not reach (RT_WEBHOOK_ALLOW_PRIVATE is off)");
        }
      }
    }
    return addresses;
  }

  private static DomainException invalid(String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", "url"));
  }
}
