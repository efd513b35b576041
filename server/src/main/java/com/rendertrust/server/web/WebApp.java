package com.rendertrust.server.web;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.HttpStatusException;
import com.rendertrust.server.platform.http.FallbackRoute;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The creator web app (web/, built by tools/build-web.sh into this jar under {@code web/}),
 * served at {@code /} as the edge's fallback route. Files named by content hash under
 * {@code /assets/} are cached for a year as immutable; everything else (index.html above all)
 * is revalidated on every use, so a new server version reaches browsers at once. A path of the
 * app's own (e.g. {@code /jobs/ID}, {@code /checkout/success}) answers index.html, whose script
 * routes it; a missing file (anything under {@code /assets/}, or a name with an extension)
 * answers 404, never the page.
 */
public final class WebApp {

  /** Where the build puts the bundle on the classpath, and the list of its files in it. */
  public static final String RESOURCE_ROOT = "web";
  static final String LISTING = "bundle.txt";
  static final String ASSETS = "/assets/";
  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  static final String REVALIDATE = "no-cache";
  /** The app's scripts and styles are its own files; data and presigned URLs may be elsewhere. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data: blob: http: https:; connect-src 'self' http: https:; font-src 'self'; "
      + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

  private static final Logger log = LoggerFactory.getLogger(WebApp.class);
  private static final Map<String, MediaType> TYPES = Map.ofEntries(
      Map.entry("html", MediaType.HTML_UTF_8), Map.entry("js", MediaType.parse("text/javascript; charset=utf-8")),
      Map.entry("mjs", MediaType.parse("text/javascript; charset=utf-8")), Map.entry("css", MediaType.CSS_UTF_8),
      Map.entry("svg", MediaType.SVG_UTF_8), Map.entry("png", MediaType.PNG), Map.entry("jpg", MediaType.JPEG),
      Map.entry("ico", MediaType.parse("image/x-icon")), Map.entry("json", MediaType.JSON_UTF_8),
      Map.entry("woff2", MediaType.parse("font/woff2")), Map.entry("txt", MediaType.PLAIN_TEXT_UTF_8),
      Map.entry("webmanifest", MediaType.parse("application/manifest+json")));

  /** One file of the bundle, ready to send. */
  record Asset(String path, byte[] bytes, MediaType type, String cacheControl, String etag) {
  }

  private final Map<String, Asset> files;
  private final Asset index;
  private final boolean built;

  private WebApp(Map<String, Asset> files, Asset index, boolean built) {
    this.files = Map.copyOf(files);
    this.index = index;
    this.built = built;
  }

  /**
   * The bundle under {@code root} of the class path, listed by its {@code bundle.txt}. Without
   * one (a build with {@code -Drt.web.skip}) every app path answers a page saying so.
   */
  public static WebApp fromClasspath(ClassLoader loader, String root) {
    byte[] listing = read(loader, root + "/" + LISTING);
    if (listing == null) {
      log.warn("the web app is not in this build (no {}/{} on the class path; built with -Drt.web.skip?): "
          + "/ answers a placeholder page", root, LISTING);
      String page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>RenderTrust</title>"
          + "</head><body><h1>RenderTrust</h1><p>The web app is not part of this build (built with"
          + " -Drt.web.skip). Build the server without that flag, or run tools/build-web.sh.</p>"
          + "<p>The API is served here: <a href=\"/docs\">/docs</a>.</p></body></html>";
      return new WebApp(Map.of(), asset("/index.html", page.getBytes(StandardCharsets.UTF_8)), false);
    }
    Map<String, Asset> files = new LinkedHashMap<>();
    for (String line : new String(listing, StandardCharsets.UTF_8).split("\n")) {
      String name = line.strip();
      if (name.isEmpty() || name.equals(LISTING)) {
        continue;
      }
      byte[] bytes = read(loader, root + "/" + name);
      if (bytes == null) {
        throw new IllegalStateException("the web app's " + LISTING + " lists " + name + ", which is not on the class path");
      }
      files.put("/" + name, asset("/" + name, bytes));
    }
    Asset index = files.get("/index.html");
    if (index == null) {
      throw new IllegalStateException("the web app's bundle has no index.html");
    }
    return new WebApp(files, index, true);
  }

  /** The bundle of this server's jar. */
  public static WebApp fromClasspath() {
    return fromClasspath(WebApp.class.getClassLoader(), RESOURCE_ROOT);
  }

  /** Whether the real app is in this build (false: the placeholder page). */
  public boolean built() {
    return built;
  }

  /** The edge's route of last resort. */
  public FallbackRoute fallbackRoute() {
    return new FallbackRoute(service());
  }

  HttpService service() {
    return (ctx, req) -> {
      if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
        throw HttpStatusException.of(HttpStatus.METHOD_NOT_ALLOWED);
      }
      Asset asset = resolve(ctx.path()).orElseThrow(() -> HttpStatusException.of(HttpStatus.NOT_FOUND));
      String ifNoneMatch = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
      boolean unchanged = ifNoneMatch != null && ifNoneMatch.contains(asset.etag());
      ResponseHeadersBuilder headers = ResponseHeaders.builder(unchanged ? HttpStatus.NOT_MODIFIED : HttpStatus.OK)
          .set(HttpHeaderNames.CACHE_CONTROL, asset.cacheControl())
          .set(HttpHeaderNames.ETAG, asset.etag())
          .set(HttpHeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
      if (asset == index) {
        headers.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
            .set(HttpHeaderNames.REFERRER_POLICY, "same-origin");
      }
      if (unchanged) {
        return HttpResponse.of(headers.build());
      }
      headers.contentType(asset.type()).contentLength(asset.bytes().length);
      return HttpResponse.of(headers.build(), HttpData.wrap(asset.bytes()));
    };
  }

  /**
   * What {@code path} answers: a file of the bundle; index.html for "/" and for every path of
   * the app; nothing (404) for a missing asset or file name, so that a stale script reference
   * fails as a 404 instead of receiving HTML.
   */
  Optional<Asset> resolve(String path) {
    Asset file = files.get(path);
    if (file != null) {
      return Optional.of(file);
    }
    if (path.equals("/") || path.equals("/index.html")) {
      return Optional.of(index);
    }
    String last = path.substring(path.lastIndexOf('/') + 1);
    if (path.startsWith(ASSETS) || last.contains(".")) {
      return Optional.empty();
    }
    return Optional.of(index);
  }

  private static Asset asset(String path, byte[] bytes) {
    String extension = path.substring(path.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    MediaType type = TYPES.getOrDefault(extension, MediaType.OCTET_STREAM);
    String cacheControl = path.startsWith(ASSETS) ? IMMUTABLE : REVALIDATE;
    return new Asset(path, bytes, type, cacheControl, "\"" + sha256(bytes).substring(0, 32) + "\"");
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] read(ClassLoader loader, String resource) {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
