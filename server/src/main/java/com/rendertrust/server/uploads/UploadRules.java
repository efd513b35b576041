package com.rendertrust.server.uploads;

import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** Validates declarations (422 naming the field, 413 for a size over the limit) and parses ids. */
final class UploadRules {

  static final int MAX_FILENAME = 255;
  static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  /** type/subtype with optional parameters, printable ASCII only. */
  private static final Pattern CONTENT_TYPE =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(;[ -~]*)?");
  private static final Pattern SAFE_EXTENSION = Pattern.compile("\\.[A-Za-z0-9]{1,10}");

  private UploadRules() {
  }

  static UploadDeclaration validate(UploadDeclaration declared, long maxBytes) {
    String filename = declared.filename() == null ? "" : declared.filename().strip();
    if (filename.isEmpty() || filename.length() > MAX_FILENAME || filename.contains("/")
        || filename.chars().anyMatch(Character::isISOControl)) {
      throw invalid("filename", "filename must be 1-" + MAX_FILENAME + " characters without '/' or control characters");
    }
    if (declared.sizeBytes() < 1) {
      throw invalid("size_bytes", "size_bytes must be at least 1");
    }
    if (declared.sizeBytes() > maxBytes) {
      throw new DomainException(Reason.PAYLOAD_TOO_LARGE,
          "size_bytes " + declared.sizeBytes() + " is over the upload limit of " + maxBytes + " bytes");
    }
    String sha256 = declared.sha256() == null ? "" : declared.sha256().strip();
    if (!SHA256.matcher(sha256).matches()) {
      throw invalid("sha256", "sha256 must be 64 hex digits");
    }
    String contentType = declared.contentType() == null ? "" : declared.contentType().strip();
    if (contentType.isEmpty()) {
      contentType = DEFAULT_CONTENT_TYPE;
    } else if (contentType.length() > 255 || !CONTENT_TYPE.matcher(contentType).matches()) {
      throw invalid("content_type", "content_type must be a MIME type such as application/octet-stream");
    }
    return new UploadDeclaration(filename, declared.sizeBytes(), sha256.toLowerCase(Locale.ROOT), contentType);
  }

  /**
   * Where an upload's bytes go: under its owner's prefix, named by its id, keeping the file
   * name's extension (Blender and many tools look at it).
   */
  static String objectKey(UUID userId, UUID uploadId, String filename) {
    return userPrefix(userId) + uploadId + extension(filename);
  }

  /** The prefix of a user's objects: {@code s3://<bucket>/<prefix>...} payload_refs under it are theirs. */
  static String userPrefix(UUID userId) {
    return "uploads/" + userId + "/";
  }

  /** A malformed id names no upload: it answers 404 like any id the caller does not own. */
  static Optional<UUID> parseId(String text) {
    return Ids.parse(text);
  }

  private static String extension(String filename) {
    int dot = filename.lastIndexOf('.');
    if (dot <= 0) {
      return "";
    }
    String extension = filename.substring(dot);
    return SAFE_EXTENSION.matcher(extension).matches() ? extension : "";
  }

  private static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }
}
