package com.rendertrust.server.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.server.jobs.JobTypes;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** What a node says it can do: job types (validated, de-duplicated) and whether it has a GPU. */
final class Capabilities {

  static final int MAX_CAPABILITIES = 50;
  static final int MAX_METADATA_BYTES = 16 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private Capabilities() {
  }

  /** The list as stored; {@code reason} is the error to raise (422 at registration, 400 on a stream). */
  static String[] validate(List<String> capabilities, Reason reason) {
    if (capabilities.isEmpty()) {
      throw new DomainException(reason, "capabilities must list at least one job type", Map.of("field", "capabilities"));
    }
    if (capabilities.size() > MAX_CAPABILITIES) {
      throw new DomainException(reason, "at most " + MAX_CAPABILITIES + " capabilities", Map.of("field", "capabilities"));
    }
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (String capability : capabilities) {
      if (!JobTypes.isValid(capability)) {
        throw new DomainException(reason, "each capability must be 1-100 characters: letters, digits, "
            + "'_', '.', ':' or '-'", Map.of("field", "capabilities"));
      }
      unique.add(capability);
    }
    return unique.toArray(String[]::new);
  }

  static void validateMetadata(String metadataJson, Reason reason) {
    if (metadataJson.length() > MAX_METADATA_BYTES) {
      throw new DomainException(reason, "metadata must be at most " + MAX_METADATA_BYTES + " bytes of JSON",
          Map.of("field", "metadata"));
    }
  }

  /** A GPU node says so with a "gpu" / "gpu:..." capability or a non-empty "gpu" metadata entry. */
  static boolean hasGpu(String[] capabilities, String metadataJson) {
    for (String capability : capabilities) {
      if (capability.equals("gpu") || capability.startsWith("gpu:")) {
        return true;
      }
    }
    try {
      JsonNode gpu = JSON.readTree(metadataJson).get("gpu");
      return gpu != null && !gpu.isNull() && !(gpu.isTextual() && gpu.asText().isBlank())
          && !(gpu.isBoolean() && !gpu.asBoolean());
    } catch (Exception e) {
      return false;
    }
  }
}
