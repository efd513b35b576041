package com.rendertrust.server.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A committed job event as stored in {@code job_events}: {@code id} is global (increasing across
 * all jobs), {@code seq} per job (from 1, no gaps). {@link #toJson} is the event as clients see
 * it (SSE {@code data:}, webhooks' {@code data}), and the Redis fan-out message.
 */
public record StoredEvent(long id, UUID jobId, UUID userId, int seq, String type, Optional<UUID> taskId,
    Optional<UUID> nodeId, String status, Optional<Double> progress, Optional<Integer> framesDone,
    Optional<String> errorCode, Optional<String> message, Instant at) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** job.completed, job.failed and job.cancelled: nothing follows them. */
  public boolean terminal() {
    return "job.completed".equals(type) || "job.failed".equals(type) || "job.cancelled".equals(type);
  }

  /** RFC 3339, UTC, microseconds (PostgreSQL's precision). */
  public String atText() {
    return at.truncatedTo(ChronoUnit.MICROS).toString();
  }

  /**
   * {@code {id, seq, type, job_id, task_id, node_id, status, progress, frames_done, error_code,
   * message, at}}, absent values as null. The owner ({@code user_id}) is not part of it.
   */
  public String toJson() {
    return node(false).toString();
  }

  /**
   * The fan-out message between replicas: a JSON array of {@code events}, each as {@link #toJson}
   * plus {@code user_id}.
   */
  static String toWireJson(List<StoredEvent> events) {
    ArrayNode array = JSON.createArrayNode();
    events.forEach(event -> array.add(event.node(true)));
    return array.toString();
  }

  private ObjectNode node(boolean withUser) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", id);
    node.put("seq", seq);
    node.put("type", type);
    node.put("job_id", jobId.toString());
    if (withUser) {
      node.put("user_id", userId.toString());
    }
    node.put("task_id", taskId.map(UUID::toString).orElse(null));
    node.put("node_id", nodeId.map(UUID::toString).orElse(null));
    node.put("status", status);
    node.put("progress", progress.orElse(null));
    node.put("frames_done", framesDone.orElse(null));
    node.put("error_code", errorCode.orElse(null));
    node.put("message", message.orElse(null));
    node.put("at", atText());
    return node;
  }

  /**
   * The events of a fan-out message ({@link #toWireJson}); a single JSON object is one event (the
   * message of replicas that published each event on its own). Empty when it is not one.
   */
  static List<StoredEvent> fromWireJson(String text) {
    try {
      JsonNode message = JSON.readTree(text);
      if (!message.isArray()) {
        return List.of(fromWire(message));
      }
      List<StoredEvent> events = new ArrayList<>(message.size());
      message.forEach(node -> events.add(fromWire(node)));
      return events;
    } catch (JsonProcessingException | RuntimeException e) {
      return List.of();
    }
  }

  private static StoredEvent fromWire(JsonNode node) {
    return new StoredEvent(node.get("id").asLong(), UUID.fromString(node.get("job_id").asText()),
        UUID.fromString(node.get("user_id").asText()), node.get("seq").asInt(), node.get("type").asText(),
        uuid(node, "task_id"), uuid(node, "node_id"), node.get("status").asText(),
        present(node, "progress").map(JsonNode::asDouble), present(node, "frames_done").map(JsonNode::asInt),
        present(node, "error_code").map(JsonNode::asText), present(node, "message").map(JsonNode::asText),
        Instant.parse(node.get("at").asText()));
  }

  private static Optional<JsonNode> present(JsonNode node, String field) {
    return Optional.ofNullable(node.get(field)).filter(value -> !value.isNull());
  }

  private static Optional<UUID> uuid(JsonNode node, String field) {
    return present(node, field).map(JsonNode::asText).map(UUID::fromString);
  }
}
