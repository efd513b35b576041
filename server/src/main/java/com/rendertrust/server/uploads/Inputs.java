package com.rendertrust.server.uploads;

import com.rendertrust.server.jobs.JobInputs;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.storage.InputStore;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jooq.DSLContext;

/**
 * Uploads as job inputs: what the jobs feature asks at submission (is this the caller's READY
 * upload?) and at dispatch (a short-lived presigned GET for the node, and the hash to check).
 * Also turns an {@code s3://<configured bucket>/<caller's prefix>...} payload_ref into a
 * presigned GET; any other reference stays opaque and is never fetched by the server.
 */
public final class Inputs implements JobInputs {

  /** Keys a payload_ref may name: segments of safe characters, none of them "." or "..". */
  private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,15}");

  private final Database database;
  private final InputStore store;
  private final Duration urlTtl;

  public Inputs(Database database, InputStore store, Duration urlTtl) {
    this.database = database;
    this.store = store;
    this.urlTtl = urlTtl;
  }

  /** The caller's READY upload {@code inputId}, locked against deletion for {@code tx}; 404 for any other id. */
  public Upload resolve(DSLContext tx, UUID userId, UUID inputId) {
    return UploadRepository.readyForShare(tx, userId, inputId)
        .orElseThrow(() -> DomainException.notFound("input upload"));
  }

  /** A GET of the upload's bytes, valid for {@code ttl}. */
  public URI presignedGet(Upload upload, Duration ttl) {
    return store.presignGet(upload.objectKey(), ttl);
  }

  /**
   * A presigned GET for {@code s3://<bucket>/<key>} when the bucket is the configured one and the
   * key lies under the caller's prefix; empty for any other reference.
   */
  public Optional<URI> payloadRefUrl(UUID userId, String payloadRef) {
    Optional<String> bucket = store.bucket();
    String prefix = "s3://" + bucket.orElse("") + "/";
    if (bucket.isEmpty() || !payloadRef.toLowerCase(Locale.ROOT).startsWith("s3://")
        || !payloadRef.startsWith(prefix)) {
      return Optional.empty();
    }
    String key = payloadRef.substring(prefix.length());
    if (!key.startsWith(UploadRules.userPrefix(userId)) || !SAFE_KEY.matcher(key).matches()) {
      return Optional.empty();
    }
    return Optional.of(store.presignGet(key, urlTtl));
  }

  @Override
  public void requireReady(DSLContext tx, UUID userId, UUID inputId) {
    resolve(tx, userId, inputId);
  }

  @Override
  public Optional<DispatchInput> forDispatch(UUID userId, Optional<UUID> inputId, Optional<String> payloadRef) {
    if (inputId.isPresent()) {
      // the job holds its input READY (deletion is refused while it is unfinished)
      return UploadRepository.byId(database.dsl(), inputId.get())
          .filter(upload -> upload.status() == UploadStatus.READY)
          .map(upload -> new DispatchInput(presignedGet(upload, urlTtl), Optional.of(upload.sha256())));
    }
    return payloadRef.flatMap(ref -> payloadRefUrl(userId, ref)).map(url -> new DispatchInput(url, Optional.empty()));
  }
}
