package com.rendertrust.agent.plugins;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

/**
 * {@code echo}: returns its input unchanged, to check the whole path from submission to download.
 * The result is, in order of precedence: the bytes of the downloaded {@code payload_ref}; the
 * payload's {@code message} string (UTF-8); otherwise the payload as compact JSON with sorted keys.
 */
public final class EchoPlugin implements JobPlugin {

  private final ObjectMapper json = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  @Override
  public String jobType() {
    return "echo";
  }

  @Override
  public PluginOutput run(JobContext context) throws Exception {
    context.checkStillWanted();
    if (context.inputFile().isPresent()) {
      Files.copy(context.inputFile().get(), context.outputFile(), StandardCopyOption.REPLACE_EXISTING);
    } else {
      JsonNode payload = context.payload();
      JsonNode message = payload.get("message");
      byte[] bytes = message != null && message.isTextual()
          ? message.asText().getBytes(StandardCharsets.UTF_8)
          : json.writeValueAsBytes(json.treeToValue(payload, Object.class));
      Files.write(context.outputFile(), bytes);
    }
    context.progress(100, "echoed");
    return new PluginOutput(context.outputFile());
  }
}
