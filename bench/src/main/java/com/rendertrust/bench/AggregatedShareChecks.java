package com.rendertrust.bench;

import com.rendertrust.server.credits.LedgerInvariants;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jooq.DSLContext;

/**
 * The ledger checks for the batched design's ceiling (bench/sql/lifecycle-batched.sql), where a
 * job's operator and platform shares are owed by a settlement row and paid by a periodic accrual,
 * not by two transfers per job. Two of {@link LedgerInvariants}' checks assume the per-job
 * transfers; they are replaced by the design's own promises, and every other check stays.
 */
final class AggregatedShareChecks {

  /** The checks of {@link LedgerInvariants} that the design replaces (their names, as reported). */
  private static final Set<String> REPLACED = Set.of("a job_holds shard holds exactly the shares not accrued yet",
      "a captured hold is posted once, in full; other holds post nothing");

  private record Check(String name, String sql) {
  }

  private static final List<Check> CHECKS = List.of(
      new Check("a captured hold has one USAGE transfer of what it captured and one settlement row owing all of it", """
          WITH usage AS (SELECT reference_id, count(*) AS n, sum(amount) AS total FROM credit_transfers
                          WHERE origin = 'JOB' AND description = 'Job execution' GROUP BY reference_id)
          SELECT 'job ' || h.job_id || ' ' || h.status || ' captured ' || coalesce(h.captured, 0) || ' usage '
                 || coalesce(u.n, 0) || '/' || coalesce(u.total, 0) || ' owed '
                 || coalesce(s.operator_share + s.platform_share, 0)
            FROM credit_holds h
            LEFT JOIN usage u ON u.reference_id = h.job_id::text
            LEFT JOIN ceiling_settlements s ON s.job_id = h.job_id
           WHERE CASE WHEN h.status = 'CAPTURED'
                      THEN coalesce(u.n, 0) <> 1 OR u.total <> h.captured
                           OR coalesce(s.operator_share + s.platform_share, -1) <> h.captured
                      ELSE u.n IS NOT NULL OR s.job_id IS NOT NULL END
          """),
      new Check("a job_holds shard holds exactly the shares not yet accrued", """
          SELECT 'job_holds shard ' || a.id || ' balance ' || a.balance || ' unaccrued ' || coalesce(p.total, 0)
            FROM credit_accounts a
            LEFT JOIN (SELECT shard_account_id, sum(operator_share + platform_share) AS total FROM ceiling_settlements
                        WHERE accrual_id IS NULL GROUP BY shard_account_id) p ON p.shard_account_id = a.id
           WHERE a.kind = 'JOB_HOLDS' AND a.balance <> coalesce(p.total, 0)
          """),
      new Check("an accrual pays each operator and the platform exactly the shares of its settlement rows", """
          WITH owed AS (
                 SELECT 'accrual:' || accrual_id || ':' || right(shard_account_id::text, 12) AS reference,
                        operator_account_id AS account, sum(operator_share) AS total
                   FROM ceiling_settlements WHERE accrual_id IS NOT NULL GROUP BY 1, 2
                 UNION ALL
                 SELECT 'accrual:' || accrual_id || ':' || right(shard_account_id::text, 12),
                        ('00000000-0000-0000-0001-' || right(shard_account_id::text, 12))::uuid, sum(platform_share)
                   FROM ceiling_settlements WHERE accrual_id IS NOT NULL GROUP BY 1, 2),
               paid AS (SELECT reference_id, credit_account_id, amount FROM credit_transfers
                         WHERE reference_id LIKE 'accrual:%')
          SELECT coalesce(owed.reference, paid.reference_id) || ' to ' || coalesce(owed.account, paid.credit_account_id)
                 || ' owed ' || coalesce(owed.total, 0) || ' paid ' || coalesce(paid.amount, 0)
            FROM owed FULL JOIN paid ON paid.reference_id = owed.reference AND paid.credit_account_id = owed.account
           WHERE coalesce(owed.total, 0) <> coalesce(paid.amount, 0)
          """));

  private AggregatedShareChecks() {
  }

  /** Every violation in the ceiling's database, as "promise: detail" lines. */
  static List<String> violations(DSLContext db) {
    List<String> found = new ArrayList<>(new LedgerInvariants(db).violations().stream()
        .filter(violation -> REPLACED.stream().noneMatch(name -> violation.startsWith(name + ": ")))
        .toList());
    for (Check check : CHECKS) {
      db.fetch(check.sql()).forEach(row -> found.add(check.name() + ": " + row.get(0, String.class)));
    }
    return found;
  }
}
