package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.errors.DomainException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Validates a submission (422 with the offending field named) and fingerprints its content. */
final class SubmissionRules {

  static final int MAX_PAYLOAD_REF = 1000;
  static final int MAX_PAYLOAD_BYTES = 64 * 1024;
  static final int MAX_IDEMPOTENCY_KEY = 255;

  private SubmissionRules() {
  }

  static ValidSubmission validate(JobSubmission submission) {
    if (!JobTypes.isValid(submission.jobType())) {
      throw invalid("job_type", "job_type must be 1-100 characters: letters, digits, '_', '.', ':' or '-'");
    }
    Optional<String> payloadRef = submission.payloadRef().filter(ref -> !ref.isEmpty());
    payloadRef.ifPresent(ref -> {
      if (ref.length() > MAX_PAYLOAD_REF || hasControlCharacters(ref)) {
        throw invalid("payload_ref", "payload_ref must be at most " + MAX_PAYLOAD_REF
            + " characters without control characters");
      }
    });
    submission.payloadJson().ifPresent(json -> {
      if (json.getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD_BYTES) {
        throw invalid("payload", "payload must be at most " + MAX_PAYLOAD_BYTES + " bytes of JSON");
      }
    });
    Priority priority;
    try {
      priority = Priority.parse(submission.priority());
    } catch (DomainException e) {
      throw invalid("priority", e.detail());
    }
    Tier tier = Tier.parse(submission.tier());
    Optional<String> key = submission.idempotencyKey();
    key.ifPresent(value -> {
      if (value.isEmpty() || value.length() > MAX_IDEMPOTENCY_KEY || !printableAscii(value)) {
        throw invalid("idempotency_key", "idempotency_key must be 1-" + MAX_IDEMPOTENCY_KEY
            + " printable ASCII characters");
      }
    });
    Optional<UUID> inputId = inputId(submission, payloadRef);
    String hash = fingerprint(submission.jobType(), payloadRef, submission.payloadJson(), priority,
        submission.gpuRequired(), inputId, tier);
    return new ValidSubmission(submission.jobType(), payloadRef, submission.payloadJson(), priority,
        submission.gpuRequired(), key, hash, inputId, tier);
  }

  /** An upload as input, never together with a payload_ref (422); a malformed id names no upload (404). */
  private static Optional<UUID> inputId(JobSubmission submission, Optional<String> payloadRef) {
    Optional<String> text = submission.inputId().filter(id -> !id.isEmpty());
    if (text.isEmpty()) {
      return Optional.empty();
    }
    if (payloadRef.isPresent()) {
      throw invalid("input_id", "give input_id or payload_ref, not both");
    }
    return Optional.of(Ids.parse(text.get()).orElseThrow(() -> DomainException.notFound("input upload")));
  }

  private static String fingerprint(String jobType, Optional<String> payloadRef, Optional<String> payloadJson,
      Priority priority, boolean gpuRequired, Optional<UUID> inputId, Tier tier) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      // an input and a tier other than standard add a part only when present, so fingerprints of
      // submissions without them are unchanged
      java.util.List<String> parts = new java.util.ArrayList<>(java.util.List.of(jobType, payloadRef.orElse("\0none"),
          payloadJson.orElse("\0none"), priority.wireName(), Boolean.toString(gpuRequired)));
      inputId.ifPresent(input -> parts.add("input:" + input));
      if (tier != Tier.STANDARD) {
        parts.add("tier:" + tier.wireName());
      }
      for (String part : parts) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        digest.update((byte) ':');
        digest.update(bytes);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean hasControlCharacters(String text) {
    return text.chars().anyMatch(Character::isISOControl);
  }

  private static boolean printableAscii(String text) {
    return text.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
  }

  private static DomainException invalid(String field, String detail) {
    return new DomainException(com.rendertrust.server.platform.errors.Reason.VALIDATION_FAILED, detail,
        Map.of("field", field));
  }
}
