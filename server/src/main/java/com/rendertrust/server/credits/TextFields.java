package com.rendertrust.server.credits;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Map;
import java.util.Optional;

/** Validation of the free-text fields stored on transfers (422 VALIDATION_FAILED when bad). */
final class TextFields {

  static final int MAX_REFERENCE_LENGTH = 255;
  static final int MAX_DESCRIPTION_LENGTH = 500;

  private TextFields() {
  }

  /** An idempotency reference: empty means none; otherwise 1..255 printable characters. */
  static Optional<String> reference(String field, String value) {
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (value.length() > MAX_REFERENCE_LENGTH) {
      throw invalid(field, field + " must be at most " + MAX_REFERENCE_LENGTH + " characters");
    }
    if (value.isBlank() || value.codePoints().anyMatch(TextFields::unprintable)) {
      throw invalid(field, field + " must be printable text");
    }
    return Optional.of(value);
  }

  /** A human description: empty means none; at most 500 characters, no control characters but newline and tab. */
  static Optional<String> description(String field, String value) {
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (value.length() > MAX_DESCRIPTION_LENGTH) {
      throw invalid(field, field + " must be at most " + MAX_DESCRIPTION_LENGTH + " characters");
    }
    if (value.codePoints().anyMatch(c -> c != '\n' && c != '\t' && unprintable(c))) {
      throw invalid(field, field + " must not contain control characters");
    }
    return Optional.of(value);
  }

  private static boolean unprintable(int codePoint) {
    return Character.isISOControl(codePoint)
        || Character.getType(codePoint) == Character.SURROGATE
        || Character.getType(codePoint) == Character.UNASSIGNED
        || Character.getType(codePoint) == Character.FORMAT && codePoint != 0x200D;
  }

  static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }
}
