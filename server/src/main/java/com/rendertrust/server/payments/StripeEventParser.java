package com.rendertrust.server.payments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Optional;
import java.util.OptionalLong;

/** Reads a {@link StripeEvent} from a verified body; 400 MALFORMED_REQUEST when it is not a Stripe event. */
final class StripeEventParser {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ID_LENGTH = 255;

  StripeEvent parse(String body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw malformed();
    }
    if (root == null || !root.isObject() || !"event".equals(text(root, "object").orElse("event"))) {
      throw malformed();
    }
    String id = text(root, "id").filter(StripeEventParser::sane).orElseThrow(StripeEventParser::malformed);
    String type = text(root, "type").filter(StripeEventParser::sane).orElseThrow(StripeEventParser::malformed);
    boolean livemode = root.path("livemode").asBoolean(false);
    JsonNode object = root.path("data").path("object");
    Optional<StripeEvent.CheckoutSession> session = Optional.empty();
    if (type.startsWith("checkout.session.")) {
      if (!object.isObject() || !"checkout.session".equals(text(object, "object").orElse(""))) {
        throw malformed();
      }
      String sessionId = text(object, "id").filter(StripeEventParser::sane).orElseThrow(StripeEventParser::malformed);
      JsonNode amount = object.path("amount_total");
      session = Optional.of(new StripeEvent.CheckoutSession(
          sessionId,
          text(object, "payment_status"),
          text(object, "client_reference_id"),
          amount.isIntegralNumber() ? OptionalLong.of(amount.asLong()) : OptionalLong.empty(),
          text(object, "currency"),
          text(object.path("metadata"), "checkout_id")));
    }
    return new StripeEvent(id, type, livemode, session);
  }

  private static Optional<String> text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isTextual() ? Optional.of(value.asText()) : Optional.empty();
  }

  private static boolean sane(String value) {
    return !value.isEmpty() && value.length() <= MAX_ID_LENGTH && value.chars().allMatch(c -> c > 0x20 && c < 0x7f);
  }

  private static DomainException malformed() {
    return new DomainException(Reason.MALFORMED_REQUEST, "the signed body is not a Stripe event");
  }
}
