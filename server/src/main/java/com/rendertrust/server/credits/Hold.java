package com.rendertrust.server.credits;

import java.util.Optional;
import java.util.UUID;

/**
 * Credits reserved for one job. {@code usageEntryId} is the user's USAGE entry once captured
 * (absent for a zero-priced job, which posts nothing).
 */
public record Hold(UUID jobId, UUID userId, CreditAmount amount, HoldStatus status, Optional<UUID> operatorId,
    Optional<UUID> usageEntryId) {
}
