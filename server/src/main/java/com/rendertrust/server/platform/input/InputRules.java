package com.rendertrust.server.platform.input;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Map;
import java.util.Optional;

/**
 * The rules every request obeys, whatever the field: one rule for all strings (no U+0000, which
 * PostgreSQL cannot store in text or JSONB, and no lone surrogate, which is not Unicode and would
 * be stored as '?'), and one depth limit for every JSON value (objects and arrays alike), so that
 * what is accepted can always be stored, printed and delivered to a node. Field-specific rules
 * (lengths, character sets) stay with the feature that owns the field.
 */
public final class InputRules {

  /** A JSON value (payload, metadata...) nests at most this many objects/arrays, itself included. */
  public static final int MAX_JSON_DEPTH = 32;

  private InputRules() {
  }

  /** Why {@code text} breaks the string rule, or empty when it is fine. */
  public static Optional<String> stringProblem(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0') {
        return Optional.of("must not contain U+0000");
      }
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return Optional.of("must be valid Unicode (no lone surrogate)");
      }
    }
    return Optional.empty();
  }

  /**
   * A paging parameter (limit, page, per_page) as the services read it: absent is 0, "the
   * default"; sent explicitly it must be at least 1, so {@code ?limit=0} is refused (422) rather
   * than silently read as the default. Other bounds are the service's.
   */
  public static int pagingParameter(String field, boolean present, int value) {
    if (present && value == 0) {
      throw invalid(field, "must be at least 1");
    }
    return value;
  }

  /** 422 naming {@code field}, e.g. {@code payload.scene.name}. */
  public static DomainException invalid(String field, String problem) {
    return new DomainException(Reason.VALIDATION_FAILED, field + " " + problem, Map.of("field", field));
  }

  public static DomainException tooDeep(String field) {
    return invalid(field, "nests deeper than " + MAX_JSON_DEPTH + " levels of objects and arrays");
  }

  /** {@code parent.child}, or {@code child} at the top. */
  public static String path(String parent, String child) {
    return parent.isEmpty() ? child : parent + "." + child;
  }
}
