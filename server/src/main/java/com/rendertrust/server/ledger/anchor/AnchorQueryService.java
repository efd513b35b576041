package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.platform.errors.DomainException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Lists anchors. Anchors are public facts: every authenticated user sees all of them. */
public final class AnchorQueryService {

  public static final int DEFAULT_PER_PAGE = 20;
  public static final int MAX_PER_PAGE = 100;

  private final AnchorRepository repository;

  public AnchorQueryService(AnchorRepository repository) {
    this.repository = repository;
  }

  /**
   * One page, newest first.
   *
   * @param page    1-based; 0 means 1
   * @param perPage 1..100; 0 means 20
   * @param since   RFC 3339 lower bound on the batch's creation time, inclusive
   */
  public AnchorPage list(int page, int perPage, Optional<String> since) {
    if (page < 0) {
      throw DomainException.validation("page must be >= 1");
    }
    if (perPage < 0 || perPage > MAX_PER_PAGE) {
      throw DomainException.validation("per_page must be between 1 and " + MAX_PER_PAGE);
    }
    Optional<Instant> from = since.filter(s -> !s.isEmpty()).map(AnchorQueryService::parseRfc3339);
    return repository.page(page == 0 ? 1 : page, perPage == 0 ? DEFAULT_PER_PAGE : perPage, from);
  }

  private static Instant parseRfc3339(String value) {
    try {
      return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw DomainException.validation("since must be an RFC 3339 time such as 2026-03-01T00:00:00Z");
    }
  }
}
