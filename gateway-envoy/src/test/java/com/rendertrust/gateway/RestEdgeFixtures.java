package com.rendertrust.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The REST edge fixtures shared with the server's in-process edge (the contracts' test-jar,
 * proto/src/test/resources/rest-edge): the server runs them against its edge, we against Envoy's.
 */
final class RestEdgeFixtures {

  static final ObjectMapper JSON = new ObjectMapper();

  private RestEdgeFixtures() {
  }

  static JsonNode load(String name) {
    try (InputStream in = RestEdgeFixtures.class.getResourceAsStream("/rest-edge/" + name)) {
      if (in == null) {
        throw new IllegalStateException("rest-edge/" + name + " not on the test classpath (rendertrust-proto test-jar)");
      }
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }
}
