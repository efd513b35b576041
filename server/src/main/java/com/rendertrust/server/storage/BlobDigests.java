package com.rendertrust.server.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The SHA-256 the local store computed while an object streamed in, kept in a dot-file next to
 * the object ({@code .<name>.sha256}). Object keys never have a segment starting with '.', so no
 * URL can name, read or overwrite a digest file.
 */
final class BlobDigests {

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  private BlobDigests() {
  }

  static Path of(Path object) {
    return object.resolveSibling("." + object.getFileName() + ".sha256");
  }

  static void write(Path object, String sha256Hex) throws IOException {
    Path temp = Files.createTempFile(object.getParent(), ".digest-", ".tmp");
    Files.writeString(temp, sha256Hex);
    Files.move(temp, of(object), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** The recorded digest; empty when there is none (e.g. an object stored before digests were kept). */
  static Optional<String> read(Path object) throws IOException {
    try {
      String text = Files.readString(of(object)).strip();
      return HEX.matcher(text).matches() ? Optional.of(text) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  static void delete(Path object) throws IOException {
    Files.deleteIfExists(of(object));
  }
}
