package com.rendertrust.server.uploads;

import com.rendertrust.server.platform.config.UploadsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.storage.InputStore;
import com.rendertrust.server.storage.StoredObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What creators do with uploads: declare one (and get a presigned PUT), complete it (the stored
 * bytes are checked against the declaration), look at, list and delete them. Every operation is
 * scoped to the calling user: another user's upload answers exactly like a missing one.
 */
public final class UploadService {

  private static final Logger log = LoggerFactory.getLogger(UploadService.class);
  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 200;

  private final Database database;
  private final Transactions transactions;
  private final InputStore store;
  private final UploadsConfig config;
  private final InputUsage usage;
  private final Clock clock;

  public UploadService(Database database, InputStore store, UploadsConfig config, InputUsage usage, Clock clock) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.store = store;
    this.config = config;
    this.usage = usage;
    this.clock = clock;
  }

  /**
   * Declares an upload (PENDING) and presigns its PUT. A size over the limit is 413, a quota
   * that would be exceeded 422 QUOTA_EXCEEDED; either way nothing is written.
   */
  public CreatedUpload create(UUID userId, UploadDeclaration declared) {
    UploadDeclaration valid = UploadRules.validate(declared, config.maxBytes());
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    UUID id = UUID.randomUUID();
    Upload upload = new Upload(id, userId, valid.filename(), valid.sizeBytes(), valid.sha256(), valid.contentType(),
        UploadStatus.PENDING, UploadRules.objectKey(userId, id, valid.filename()), now, now.plus(config.ttl()),
        Optional.empty());
    InputStore.PresignedPut put;
    try {
      put = store.presignPut(upload.objectKey(), upload.sizeBytes(), upload.sha256(), upload.contentType(),
          upload.expiresAt());
    } catch (RuntimeException e) {
      log.error("presigning the PUT of upload {} failed", id, e);
      throw DomainException.unavailable("upload storage is unavailable");
    }
    transactions.transactionResult(cfg -> {
      UploadRepository.lockUser(cfg.dsl(), userId);
      long live = UploadRepository.liveBytes(cfg.dsl(), userId, now);
      if (live + upload.sizeBytes() > config.quotaBytes()) {
        throw new DomainException(Reason.QUOTA_EXCEEDED, "this upload would exceed your storage quota of "
            + config.quotaBytes() + " bytes (" + live + " bytes in use); delete uploads you no longer need",
            Map.of("reason", Reason.QUOTA_EXCEEDED.name()));
      }
      UploadRepository.insert(cfg.dsl(), upload);
      return null;
    });
    return new CreatedUpload(upload, put.url(), put.headers(), config.ttl().toSeconds());
  }

  /**
   * Checks the stored bytes against the declaration: READY when they match; FAILED (bytes
   * deleted, 422 UPLOAD_MISMATCH) when they differ; 409 UPLOAD_INCOMPLETE while nothing is stored.
   */
  public Upload complete(UUID userId, String uploadId) {
    Upload upload = owned(userId, uploadId);
    switch (upload.status()) {
      case READY -> {
        return upload;
      }
      case FAILED -> throw mismatch("this upload failed its check; create a new upload");
      case DELETED -> throw DomainException.notFound("upload");
      case PENDING -> {
        // checked below
      }
    }
    Optional<StoredObject> stored = stat(upload);
    if (stored.isEmpty()) {
      throw new DomainException(Reason.UPLOAD_INCOMPLETE, "nothing was uploaded yet: PUT the bytes to upload_url first",
          Map.of("reason", Reason.UPLOAD_INCOMPLETE.name()));
    }
    StoredObject object = stored.get();
    boolean sizeMatches = object.sizeBytes() == upload.sizeBytes();
    boolean hashMatches = object.sha256().map(upload.sha256()::equals).orElse(false);
    Instant now = clock.instant();
    if (sizeMatches && hashMatches) {
      UploadRepository.finishPending(database.dsl(), upload.id(), UploadStatus.READY, now);
      return owned(userId, uploadId); // READY, or whatever a concurrent completion or the sweeper left
    }
    if (UploadRepository.finishPending(database.dsl(), upload.id(), UploadStatus.FAILED, now)) {
      try {
        store.delete(upload.objectKey());
      } catch (RuntimeException e) {
        log.error("deleting the mismatched bytes of upload {} failed; left in the store", upload.id(), e);
      }
    }
    throw mismatch(sizeMatches
        ? "the uploaded bytes' SHA-256 differs from the declared sha256; the upload failed and its bytes were deleted"
        : "uploaded " + object.sizeBytes() + " bytes, declared " + upload.sizeBytes()
            + "; the upload failed and its bytes were deleted");
  }

  public Upload get(UUID userId, String uploadId) {
    return owned(userId, uploadId);
  }

  public UploadPage list(UUID userId, int limit, int offset) {
    if (limit < 0 || limit > MAX_PAGE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and " + MAX_PAGE,
          Map.of("field", "limit"));
    }
    if (offset < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "offset must not be negative", Map.of("field", "offset"));
    }
    int pageSize = limit == 0 ? DEFAULT_PAGE : limit;
    return new UploadPage(UploadRepository.page(database.dsl(), userId, pageSize, offset),
        UploadRepository.count(database.dsl(), userId));
  }

  /**
   * Deletes the upload's bytes and marks it DELETED; 409 UPLOAD_IN_USE while an unfinished job
   * uses it. Deleting again retries the byte removal and returns the DELETED upload.
   */
  public Upload delete(UUID userId, String uploadId) {
    UUID id = UploadRules.parseId(uploadId).orElseThrow(() -> DomainException.notFound("upload"));
    Upload deleted = transactions.transactionResult(cfg -> {
      Upload upload = UploadRepository.owned(cfg.dsl(), userId, id, true)
          .orElseThrow(() -> DomainException.notFound("upload"));
      if (upload.status() != UploadStatus.DELETED) {
        if (usage.isInUse(cfg.dsl(), id)) {
          throw new DomainException(Reason.UPLOAD_IN_USE, "an unfinished job still uses this upload",
              Map.of("reason", Reason.UPLOAD_IN_USE.name()));
        }
        UploadRepository.markDeleted(cfg.dsl(), id);
      }
      return upload;
    });
    deleteBytes(deleted);
    return owned(userId, uploadId);
  }

  /** Removes expired PENDING uploads and their bytes, a batch at a time; how many were removed. */
  public int sweepExpired(Duration grace, int batch) {
    var keys = UploadRepository.removeExpired(database.dsl(), clock.instant().minus(grace), batch);
    for (String key : keys) {
      try {
        store.delete(key);
      } catch (RuntimeException e) {
        log.warn("could not delete the bytes of an expired upload ({}); left in the store", key, e);
      }
    }
    return keys.size();
  }

  private Upload owned(UUID userId, String uploadId) {
    return UploadRules.parseId(uploadId)
        .flatMap(id -> UploadRepository.owned(database.dsl(), userId, id, false))
        .orElseThrow(() -> DomainException.notFound("upload"));
  }

  private Optional<StoredObject> stat(Upload upload) {
    try {
      return store.stat(upload.objectKey());
    } catch (RuntimeException e) {
      log.error("looking at the bytes of upload {} failed", upload.id(), e);
      throw DomainException.unavailable("upload storage is unavailable; retry later");
    }
  }

  private void deleteBytes(Upload upload) {
    try {
      store.delete(upload.objectKey());
    } catch (RuntimeException e) {
      log.error("deleting the bytes of upload {} failed", upload.id(), e);
      throw DomainException.unavailable("upload storage is unavailable; retry later");
    }
  }

  private static DomainException mismatch(String detail) {
    return new DomainException(Reason.UPLOAD_MISMATCH, detail, Map.of("reason", Reason.UPLOAD_MISMATCH.name()));
  }
}
