package com.rendertrust.server.uploads;

import static com.rendertrust.server.db.Tables.UPLOADS;

import com.rendertrust.server.db.tables.records.UploadsRecord;
import com.rendertrust.server.platform.db.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The {@code uploads} table, which only the uploads feature writes. */
final class UploadRepository {

  private UploadRepository() {
  }

  /**
   * Serialises one user's quota checks (a transaction-scoped advisory lock in a key space of its
   * own), so two concurrent declarations cannot both fit under the quota that only one fits.
   */
  static void lockUser(DSLContext tx, UUID userId) {
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('uploads'), hashtext(?))", userId.toString());
  }

  /** Bytes of the user's PENDING (not yet expired) and READY uploads. */
  static long liveBytes(DSLContext tx, UUID userId, Instant now) {
    Long sum = tx.select(DSL.sum(UPLOADS.SIZE_BYTES).cast(Long.class)).from(UPLOADS)
        .where(UPLOADS.USER_ID.eq(userId))
        .and(UPLOADS.STATUS.eq(UploadStatus.READY.name())
            .or(UPLOADS.STATUS.eq(UploadStatus.PENDING.name()).and(UPLOADS.EXPIRES_AT.gt(Timestamps.toDb(now)))))
        .fetchOne(0, Long.class);
    return sum == null ? 0 : sum;
  }

  static void insert(DSLContext tx, Upload upload) {
    tx.insertInto(UPLOADS)
        .set(UPLOADS.ID, upload.id())
        .set(UPLOADS.USER_ID, upload.userId())
        .set(UPLOADS.FILENAME, upload.filename())
        .set(UPLOADS.SIZE_BYTES, upload.sizeBytes())
        .set(UPLOADS.SHA256, upload.sha256())
        .set(UPLOADS.CONTENT_TYPE, upload.contentType())
        .set(UPLOADS.STATUS, upload.status().name())
        .set(UPLOADS.OBJECT_KEY, upload.objectKey())
        .set(UPLOADS.CREATED_AT, Timestamps.toDb(upload.createdAt()))
        .set(UPLOADS.EXPIRES_AT, Timestamps.toDb(upload.expiresAt()))
        .execute();
  }

  static Optional<Upload> owned(DSLContext dsl, UUID userId, UUID uploadId, boolean lock) {
    var query = dsl.selectFrom(UPLOADS).where(UPLOADS.ID.eq(uploadId).and(UPLOADS.USER_ID.eq(userId)));
    return (lock ? query.forUpdate().fetchOptional() : query.fetchOptional()).map(UploadRepository::toUpload);
  }

  /** The user's READY upload, locked against deletion until the caller's transaction ends. */
  static Optional<Upload> readyForShare(DSLContext tx, UUID userId, UUID uploadId) {
    return tx.selectFrom(UPLOADS)
        .where(UPLOADS.ID.eq(uploadId).and(UPLOADS.USER_ID.eq(userId)).and(UPLOADS.STATUS.eq(UploadStatus.READY.name())))
        .forShare()
        .fetchOptional()
        .map(UploadRepository::toUpload);
  }

  static Optional<Upload> byId(DSLContext dsl, UUID uploadId) {
    return dsl.selectFrom(UPLOADS).where(UPLOADS.ID.eq(uploadId)).fetchOptional().map(UploadRepository::toUpload);
  }

  static List<Upload> page(DSLContext dsl, UUID userId, int limit, int offset) {
    return dsl.selectFrom(UPLOADS).where(UPLOADS.USER_ID.eq(userId))
        .orderBy(UPLOADS.CREATED_AT.desc(), UPLOADS.ID.desc())
        .limit(limit).offset(offset)
        .fetch(UploadRepository::toUpload);
  }

  static int count(DSLContext dsl, UUID userId) {
    return dsl.fetchCount(UPLOADS, UPLOADS.USER_ID.eq(userId));
  }

  /** PENDING -> {@code to}; false when the upload is no longer PENDING (completed or swept meanwhile). */
  static boolean finishPending(DSLContext dsl, UUID uploadId, UploadStatus to, Instant now) {
    return dsl.update(UPLOADS)
        .set(UPLOADS.STATUS, to.name())
        .set(UPLOADS.COMPLETED_AT, Timestamps.toDb(now))
        .where(UPLOADS.ID.eq(uploadId).and(UPLOADS.STATUS.eq(UploadStatus.PENDING.name())))
        .execute() == 1;
  }

  static void markDeleted(DSLContext tx, UUID uploadId) {
    tx.update(UPLOADS).set(UPLOADS.STATUS, UploadStatus.DELETED.name()).where(UPLOADS.ID.eq(uploadId)).execute();
  }

  /** Removes up to {@code limit} PENDING uploads that expired before {@code cutoff}; their object keys. */
  static List<String> removeExpired(DSLContext dsl, Instant cutoff, int limit) {
    var expired = dsl.select(UPLOADS.ID).from(UPLOADS)
        .where(UPLOADS.STATUS.eq(UploadStatus.PENDING.name()).and(UPLOADS.EXPIRES_AT.lt(Timestamps.toDb(cutoff))))
        .orderBy(UPLOADS.EXPIRES_AT)
        .limit(limit)
        .forUpdate().skipLocked();
    return dsl.deleteFrom(UPLOADS)
        .where(UPLOADS.ID.in(expired))
        .and(UPLOADS.STATUS.eq(UploadStatus.PENDING.name()))
        .returning(UPLOADS.OBJECT_KEY)
        .fetch(UPLOADS.OBJECT_KEY);
  }

  private static Upload toUpload(UploadsRecord row) {
    return new Upload(
        row.getId(),
        row.getUserId(),
        row.getFilename(),
        row.getSizeBytes(),
        row.getSha256(),
        row.getContentType(),
        UploadStatus.valueOf(row.getStatus()),
        row.getObjectKey(),
        Timestamps.fromDb(row.getCreatedAt()),
        Timestamps.fromDb(row.getExpiresAt()),
        Timestamps.fromDbNullable(row.getCompletedAt()));
  }
}
