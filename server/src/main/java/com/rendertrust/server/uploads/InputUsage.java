package com.rendertrust.server.uploads;

import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Whether an unfinished job still uses an upload as its input. The jobs feature answers (it owns
 * the jobs); uploads asks inside the transaction that locked the upload, so a job submitted
 * concurrently (which locks the upload to share it) is either seen here or sees the deletion.
 */
@FunctionalInterface
public interface InputUsage {

  boolean isInUse(DSLContext tx, UUID uploadId);
}
