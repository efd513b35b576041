package com.rendertrust.agent.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code <config dir>/node.json}: the node id, the server and the node token, written with mode 0600. */
public final class IdentityStore {

  public static final String IDENTITY_FILE = "node.json";

  private final Path file;
  private final ObjectMapper json = new ObjectMapper();

  public IdentityStore(Path configDir) {
    this.file = configDir.resolve(IDENTITY_FILE);
  }

  public Path file() {
    return file;
  }

  public Optional<NodeIdentity> load() throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    JsonNode node;
    try {
      node = json.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + " is damaged (" + e.getMessage() + "); run `register` again to rewrite it", e);
    }
    String nodeId = text(node, "node_id");
    String server = text(node, "server");
    String token = text(node, "token");
    if (nodeId == null || server == null || token == null) {
      throw new IOException(file + " lacks node_id, server or token; run `register` again to rewrite it");
    }
    List<String> capabilities = new ArrayList<>();
    if (node.get("capabilities") instanceof ArrayNode array) {
      array.forEach(element -> capabilities.add(element.asText()));
    }
    TokenClaims claims = TokenClaims.of(token);
    Instant registeredAt = Optional.ofNullable(text(node, "registered_at")).map(Instant::parse).orElse(Instant.EPOCH);
    return Optional.of(new NodeIdentity(nodeId, server, Optional.ofNullable(text(node, "name")).orElse(""), capabilities,
        token, claims.issuedAt(), claims.expiresAt(), registeredAt, Optional.empty()));
  }

  public void save(NodeIdentity identity) throws IOException {
    ObjectNode node = json.createObjectNode();
    node.put("node_id", identity.nodeId());
    node.put("server", identity.server());
    node.put("name", identity.name());
    ArrayNode capabilities = node.putArray("capabilities");
    identity.capabilities().forEach(capabilities::add);
    node.put("token", identity.token());
    identity.tokenExpiresAt().ifPresent(expires -> node.put("token_expires_at", expires.toString()));
    node.put("registered_at", identity.registeredAt().toString());
    SecureFiles.writeOwnerOnly(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }
}
