package com.rendertrust.server.platform.net;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a user-chosen input URL may be handed to a node, which downloads it from inside its
 * own network (server-side request forgery otherwise). Only {@code http} and {@code https}
 * references are URLs; any other reference ({@code s3://...}, a name) is opaque: the server never
 * fetches it and hands it to the node as is.
 *
 * <p>A URL is refused (422 VALIDATION_FAILED naming the field) when its host is, or resolves to, an
 * address in a {@link PrivateAddresses} range, is a {@code localhost} or metadata name, or is
 * written in a form clients disagree about (numeric hosts other than four decimal numbers, user
 * info). A name that does not resolve here is let through: the node resolves it itself and checks
 * every address again before it connects. {@code RT_ALLOW_PRIVATE_INPUT_URLS} turns the range
 * checks off (lab setups, tests that serve inputs on 127.0.0.1), never the syntax checks.
 */
public final class InputUrlPolicy {

  /** Looks up every address of a host name; the system resolver outside tests. */
  @FunctionalInterface
  public interface HostResolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private static final Pattern NUMERIC_LABEL = Pattern.compile("[0-9]+|0x[0-9a-f]*");
  private static final Pattern DOTTED_QUAD = Pattern.compile(
      "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  private static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata.goog",
      "instance-data", "instance-data.ec2.internal");

  private final boolean allowPrivate;
  private final HostResolver resolver;

  public InputUrlPolicy(boolean allowPrivate) {
    this(allowPrivate, InetAddress::getAllByName);
  }

  public InputUrlPolicy(boolean allowPrivate, HostResolver resolver) {
    this.allowPrivate = allowPrivate;
    this.resolver = resolver;
  }

  /** True for the references a node downloads: an {@code http:} or {@code https:} scheme, any case. */
  public static boolean isUrl(String reference) {
    String text = reference.strip();
    int colon = text.indexOf(':');
    if (colon < 0) {
      return false;
    }
    String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
    return scheme.equals("http") || scheme.equals("https");
  }

  /** Refuses {@code reference} (the value of {@code field}) with 422 if it is a URL a node must not fetch. */
  public void check(String field, String reference) {
    if (!isUrl(reference)) {
      return;
    }
    URI uri;
    try {
      uri = new URI(reference.strip());
    } catch (URISyntaxException e) {
      throw invalid(field, field + " is not a valid URL: " + e.getReason());
    }
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      throw invalid(field, field + " must be an absolute http(s) URL with a host, like https://example.com/scene.blend");
    }
    if (uri.getRawUserInfo() != null) {
      throw invalid(field, field + " must not carry user info (credentials before '@') in its URL");
    }
    if (uri.getHost() == null) {
      throw invalid(field, field + " has no valid host name in '" + uri.getRawAuthority() + "'");
    }
    String host = uri.getHost();
    if (host.startsWith("[")) {
      checkAddress(field, host, literal(host.substring(1, host.length() - 1)));
      return;
    }
    String name = stripTrailingDots(host.toLowerCase(Locale.ROOT));
    if (NUMERIC_LABEL.matcher(name.substring(name.lastIndexOf('.') + 1)).matches()) {
      if (!DOTTED_QUAD.matcher(name).matches()) {
        throw invalid(field, field + " host '" + host + "' is an IPv4 address in a non-standard form;"
            + " write it as four decimal numbers, like 203.0.113.7");
      }
      checkAddress(field, host, literal(name));
      return;
    }
    checkName(field, host, name);
  }

  private void checkName(String field, String host, String name) {
    if (allowPrivate) {
      return;
    }
    if (name.equals("localhost") || name.endsWith(".localhost")) {
      throw refused(field, host, "loopback");
    }
    if (METADATA_NAMES.contains(name)) {
      throw refused(field, host, "cloud metadata");
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(name);
    } catch (UnknownHostException e) {
      return; // unknown here; the node resolves it itself and checks what it gets
    }
    for (InetAddress address : addresses) {
      Optional<String> range = PrivateAddresses.rangeOf(address);
      if (range.isPresent()) {
        throw refused(field, host, range.get());
      }
    }
  }

  private void checkAddress(String field, String host, InetAddress address) {
    if (allowPrivate) {
      return;
    }
    Optional<String> range = PrivateAddresses.rangeOf(address);
    if (range.isPresent()) {
      throw refused(field, host, range.get());
    }
  }

  /**
   * Parses an address literal that {@link URI} (IPv6) or {@link #DOTTED_QUAD} (IPv4) already
   * validated, so no lookup happens; a zone id ({@code %25eth0}) does not change the range.
   */
  private static InetAddress literal(String text) {
    int zone = text.indexOf('%');
    try {
      return InetAddress.getByName(zone < 0 ? text : text.substring(0, zone));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a validated address literal did not parse: " + text, e);
    }
  }

  private static String stripTrailingDots(String name) {
    int end = name.length();
    while (end > 0 && name.charAt(end - 1) == '.') {
      end--;
    }
    return name.substring(0, end);
  }

  private static DomainException refused(String field, String host, String range) {
    return invalid(field, field + " host '" + host + "' is or resolves to a " + range
        + " address, which nodes must not fetch; use a public URL or upload the input");
  }

  private static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }
}
