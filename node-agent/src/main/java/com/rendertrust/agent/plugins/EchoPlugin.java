package com.rendertrust.agent.plugins;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

/**
 * {@code echo}: returns its input unchanged, to check the whole path from submission to download.
 * The result is, in order of precedence: the bytes of the downloaded {@code payload_ref} (an
 * http(s) URL); the payload's {@code message} string (UTF-8); with an empty payload, the
 * {@code payload_ref} string itself (earlier clients send references that are not URLs and expect
 * them back); otherwise the payload as compact JSON with sorted keys.
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
      Files.write(context.outputFile(), inline(context.payload(), context.job().payloadRef()));
    }
    context.progress(100, "echoed");
    return new PluginOutput(context.outputFile());
  }

  private byte[] inline(JsonNode payload, String payloadRef) throws Exception {
    JsonNode message = payload.get("message");
    if (message != null && message.isTextual()) {
      return message.asText().getBytes(StandardCharsets.UTF_8);
    }
    if (payload.isEmpty() && !payloadRef.isEmpty()) {
      return payloadRef.getBytes(StandardCharsets.UTF_8);
    }
    return json.writeValueAsBytes(json.treeToValue(payload, Object.class));
  }
}
