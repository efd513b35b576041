package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.CREDIT_TRANSFERS;

import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * A user's credit movements per UTC day (the creator app's usage chart): what USAGE entries
 * took, what REFUND entries returned and what PURCHASE (or DEPOSIT) entries added, one row per
 * day including days without movements. One grouped query over the account's entries of the
 * period.
 */
public final class UsageReport {

  public static final int DEFAULT_DAYS = 7;
  public static final int MAX_DAYS = 90;

  /** One UTC day. */
  public record Day(LocalDate date, CreditAmount spent, CreditAmount refunded, CreditAmount purchased) {
  }

  /** The days, oldest first, and the sum of what was spent over them. */
  public record Usage(List<Day> days, CreditAmount totalSpent) {

    public Usage {
      days = List.copyOf(days);
    }
  }

  private final Transactions transactions;
  private final Clock clock;
  private final LedgerStore store = new LedgerStore();

  public UsageReport(DSLContext dsl, Clock clock) {
    this.transactions = new Transactions(dsl);
    this.clock = clock;
  }

  /** The last {@code days} UTC days, today included; 422 VALIDATION_FAILED outside 1..90. */
  public Usage of(UUID userId, int days) {
    if (days < 1 || days > MAX_DAYS) {
      throw new DomainException(Reason.VALIDATION_FAILED, "days must be between 1 and " + MAX_DAYS,
          Map.of("field", "days"));
    }
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    LocalDate first = today.minusDays(days - 1L);
    Map<LocalDate, long[]> byDay = transactions.repeatable(dsl -> store.find(dsl, userId, AccountKind.USER)
        .map(account -> sums(dsl, account.id(), first))
        .orElseGet(Map::of));
    List<Day> rows = new ArrayList<>(days);
    long totalSpent = 0;
    for (LocalDate day = first; !day.isAfter(today); day = day.plusDays(1)) {
      long[] sums = byDay.getOrDefault(day, new long[3]);
      rows.add(new Day(day, new CreditAmount(sums[0]), new CreditAmount(sums[1]), new CreditAmount(sums[2])));
      totalSpent += sums[0];
    }
    return new Usage(rows, new CreditAmount(totalSpent));
  }

  private static Map<LocalDate, long[]> sums(DSLContext dsl, UUID accountId, LocalDate first) {
    Field<LocalDate> day = DSL.field("({0} AT TIME ZONE 'UTC')::date", SQLDataType.LOCALDATE, CREDIT_ENTRIES.CREATED_AT);
    Field<Long> spent = sumWhen(CREDIT_TRANSFERS.SOURCE.eq(EntrySource.USAGE.name()), DSL.neg(CREDIT_ENTRIES.AMOUNT));
    Field<Long> refunded = sumWhen(CREDIT_TRANSFERS.SOURCE.eq(EntrySource.REFUND.name()), CREDIT_ENTRIES.AMOUNT);
    Field<Long> purchased = sumWhen(CREDIT_TRANSFERS.SOURCE.in(EntrySource.PURCHASE.name(), "DEPOSIT"),
        CREDIT_ENTRIES.AMOUNT);
    Map<LocalDate, long[]> byDay = new HashMap<>();
    dsl.select(day, spent, refunded, purchased)
        .from(CREDIT_ENTRIES).join(CREDIT_TRANSFERS).on(CREDIT_TRANSFERS.ID.eq(CREDIT_ENTRIES.TRANSFER_ID))
        .where(CREDIT_ENTRIES.ACCOUNT_ID.eq(accountId),
            CREDIT_ENTRIES.CREATED_AT.ge(Timestamps.toDb(first.atStartOfDay(ZoneOffset.UTC).toInstant())))
        .groupBy(day)
        .fetch()
        .forEach(row -> byDay.put(row.value1(), new long[] {row.value2(), row.value3(), row.value4()}));
    return byDay;
  }

  /** Sum of {@code value} over the rows matching {@code condition}; 0 when none. */
  private static Field<Long> sumWhen(org.jooq.Condition condition, Field<Long> value) {
    return DSL.coalesce(DSL.sum(DSL.when(condition, value).otherwise(DSL.inline(0L))), DSL.inline(java.math.BigDecimal.ZERO))
        .cast(SQLDataType.BIGINT);
  }
}
