package com.rendertrust.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Downloads of presigned URLs, as a creator without credentials does them. */
public final class Downloads {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Downloads() {
  }

  /** The response to a GET of {@code url}. */
  public static HttpResponse<byte[]> get(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The body of a GET of {@code url}, which must answer 200. */
  public static byte[] bytes(String url) {
    HttpResponse<byte[]> response = get(url);
    assertThat(response.statusCode()).as("GET " + url).isEqualTo(200);
    return response.body();
  }

  /** The entries of a ZIP, by name, in archive order. */
  public static Map<String, byte[]> unzip(byte[] zip) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        entries.put(entry.getName(), in.readAllBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }
}
