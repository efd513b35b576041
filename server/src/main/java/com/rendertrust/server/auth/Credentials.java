package com.rendertrust.server.auth;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules for what users type: e-mail addresses are compared in one normal form (trimmed, NFC,
 * lower case), and passwords are 8 to 128 characters without control characters, compared in
 * NFC so the same password typed on two keyboards is the same password.
 */
final class Credentials {

  static final int MIN_PASSWORD_CHARS = 8;
  /** Bounds the Argon2 input an unauthenticated caller can make us hash. */
  static final int MAX_PASSWORD_CHARS = 128;
  static final int MAX_EMAIL_CHARS = 254;
  static final int MAX_NAME_CHARS = 200;

  private static final Pattern LOCAL_PART = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
  private static final Pattern DOMAIN =
      Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?");

  private Credentials() {
  }

  /** The normal form an e-mail address is stored and looked up in (it may still be invalid). */
  static String normaliseEmail(String email) {
    return Normalizer.normalize(email.strip(), Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
  }

  /** The normalised address, or VALIDATION_FAILED (field "email"). */
  static String validEmail(String email) {
    if (email == null || email.isBlank()) {
      throw invalid("email", "email is required");
    }
    String normalised = normaliseEmail(email);
    int at = normalised.indexOf('@');
    if (normalised.length() > MAX_EMAIL_CHARS || at <= 0 || at != normalised.lastIndexOf('@')
        || at > 64 || !LOCAL_PART.matcher(normalised.substring(0, at)).matches()
        || !DOMAIN.matcher(normalised.substring(at + 1)).matches()) {
      throw invalid("email", "email is not a valid address");
    }
    return normalised;
  }

  /** The password as it is hashed (NFC), or VALIDATION_FAILED (field "password"). */
  static String validNewPassword(String password) {
    if (password == null || password.isEmpty()) {
      throw invalid("password", "password is required");
    }
    if (password.length() > MAX_PASSWORD_CHARS * 2) {
      throw invalid("password", "password must be at most " + MAX_PASSWORD_CHARS + " characters");
    }
    String normalised = Normalizer.normalize(password, Normalizer.Form.NFC);
    int length = normalised.codePointCount(0, normalised.length());
    if (length < MIN_PASSWORD_CHARS) {
      throw invalid("password", "password must be at least " + MIN_PASSWORD_CHARS + " characters");
    }
    if (length > MAX_PASSWORD_CHARS) {
      throw invalid("password", "password must be at most " + MAX_PASSWORD_CHARS + " characters");
    }
    if (normalised.codePoints().anyMatch(c -> Character.isISOControl(c) || (c >= 0xD800 && c <= 0xDFFF))) {
      throw invalid("password", "password must not contain control characters");
    }
    return normalised;
  }

  /** The password a login presents, normalised like {@link #validNewPassword}; null when it cannot match any account. */
  static String loginPassword(String password) {
    if (password.length() > MAX_PASSWORD_CHARS * 2) {
      return null;
    }
    String normalised = Normalizer.normalize(password, Normalizer.Form.NFC);
    return normalised.codePointCount(0, normalised.length()) > MAX_PASSWORD_CHARS ? null : normalised;
  }

  /** A display name: trimmed, 1 to 200 characters, no control characters. */
  static String validName(String name, String field, int maxChars) {
    String trimmed = name == null ? "" : name.strip();
    if (trimmed.isEmpty()) {
      throw invalid(field, field + " must not be empty");
    }
    if (trimmed.codePointCount(0, trimmed.length()) > maxChars) {
      throw invalid(field, field + " must be at most " + maxChars + " characters");
    }
    if (trimmed.codePoints().anyMatch(Character::isISOControl)) {
      throw invalid(field, field + " must not contain control characters");
    }
    return trimmed;
  }

  static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }
}
