package com.rendertrust.server.storage;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The only object keys the local store accepts: slash-separated segments of letters, digits,
 * '.', '_' and '-', none of them "." or "..". A key that passes can only name a file inside the
 * store's root, so path traversal is impossible whatever the URL says.
 */
final class ObjectKeys {

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final int MAX_KEY_LENGTH = 512;

  private ObjectKeys() {
  }

  static boolean isValid(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      return false;
    }
    for (String segment : key.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")
          || segment.startsWith(".")) {
        return false;
      }
    }
    return true;
  }

  /** The file of {@code key} under {@code root}, or empty when the key is not acceptable. */
  static Optional<Path> resolve(Path root, String key) {
    if (!isValid(key)) {
      return Optional.empty();
    }
    Path file = root.resolve(key).normalize();
    return file.startsWith(root) ? Optional.of(file) : Optional.empty();
  }
}
