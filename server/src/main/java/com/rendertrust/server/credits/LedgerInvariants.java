package com.rendertrust.server.credits;

import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;

/**
 * Re-checks every promise of the ledger from the stored rows alone, in SQL, so it catches a
 * fault in the code and in the database guards alike. Tests run it after every money-moving
 * scenario; an operator can run it against production (read-only, one snapshot).
 *
 * <ul>
 *   <li>conservation: entries sum to 0, each transfer is exactly its two legs;</li>
 *   <li>balances: each account's balance = the sum of its entries, and each entry's
 *       balance_after = the running sum in sequence order;</li>
 *   <li>no overdraft: only clearing accounts are negative; everyone else has balance - held >= 0;</li>
 *   <li>holds: each account's held = its ACTIVE holds; a captured hold posted exactly once
 *       (user -> job_holds, then its full split out of job_holds: as transfers of its own, or as
 *       the shares of its settlement row) its captured amount (all of it, or the delivered share
 *       of a partial capture, never more than held), others posted nothing;</li>
 *   <li>shares: each job_holds shard holds exactly the shares its settlement rows owe and no
 *       accrual has paid; each accrual paid each account exactly its rows' shares, out of their
 *       shard;</li>
 *   <li>external events applied once: every PAID checkout has exactly one PURCHASE crediting
 *       its user its package's credits and exactly one crediting Stripe event; no other
 *       checkout or event credited anything; every CONFIRMED token deposit has exactly one
 *       DEPOSIT crediting its reference's owner its worth, and no other deposit credited anything.</li>
 * </ul>
 */
public final class LedgerInvariants {

  private record Check(String name, String sql) {
  }

  /** Each query returns one text column per violation found (no rows = the promise holds). */
  private static final List<Check> CHECKS = List.of(
      new Check("sum of all entries is 0", """
          SELECT 'sum = ' || s FROM (SELECT COALESCE(SUM(amount), 0) AS s FROM credit_entries) x WHERE s <> 0
          """),
      new Check("every transfer is exactly its two legs", """
          SELECT 'transfer ' || t.id
            FROM credit_transfers t
           WHERE (SELECT count(*) FROM credit_entries e WHERE e.transfer_id = t.id) <> 2
              OR NOT EXISTS (SELECT 1 FROM credit_entries e WHERE e.transfer_id = t.id
                              AND e.account_id = t.debit_account_id AND e.amount = -t.amount)
              OR NOT EXISTS (SELECT 1 FROM credit_entries e WHERE e.transfer_id = t.id
                              AND e.account_id = t.credit_account_id AND e.amount = t.amount)
          """),
      new Check("account balance = sum of its entries", """
          SELECT 'account ' || a.id || ' balance ' || a.balance || ' entries ' || COALESCE(s.total, 0)
            FROM credit_accounts a
            LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM credit_entries GROUP BY account_id) s
              ON s.account_id = a.id
           WHERE a.balance <> COALESCE(s.total, 0)
          """),
      new Check("balance_after = running sum in sequence order", """
          SELECT 'entry ' || id || ' balance_after ' || balance_after || ' running ' || running
            FROM (SELECT id, balance_after,
                         SUM(amount) OVER (PARTITION BY account_id ORDER BY seq) AS running
                    FROM credit_entries) x
           WHERE balance_after <> running
          """),
      new Check("no account but a clearing account is overdrawn", """
          SELECT a.kind || ' account ' || a.id || ' balance ' || a.balance || ' held ' || a.held
            FROM credit_accounts a
           WHERE a.held < 0
              OR (a.kind NOT IN ('STRIPE_CLEARING', 'ADJUSTMENTS', 'CHAIN_CLEARING') AND a.balance - a.held < 0)
          """),
      new Check("held = sum of the account's active holds", """
          SELECT 'account ' || a.id || ' held ' || a.held || ' active holds ' || COALESCE(h.total, 0)
            FROM credit_accounts a
            LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM credit_holds
                        WHERE status = 'ACTIVE' GROUP BY account_id) h
              ON h.account_id = a.id
           WHERE a.held <> COALESCE(h.total, 0)
          """),
      new Check("a job_holds shard holds exactly the shares not accrued yet", """
          SELECT 'job_holds shard ' || a.id || ' balance ' || a.balance || ' owed ' || COALESCE(o.total, 0)
            FROM credit_accounts a
            LEFT JOIN (SELECT shard_account_id, SUM(operator_share + platform_share) AS total FROM credit_settlements
                        WHERE accrual_id IS NULL GROUP BY shard_account_id) o
              ON o.shard_account_id = a.id
           WHERE a.kind = 'JOB_HOLDS' AND a.balance <> COALESCE(o.total, 0)
          """),
      // Transfers are grouped by job once and hash-joined to the holds: a lookup per hold would
      // scan credit_transfers for each (no index leads with reference_id), quadratic in jobs.
      new Check("a captured hold is posted once, in full; other holds post nothing", """
          WITH usage AS (SELECT t.reference_id, t.debit_account_id, count(*) AS n, SUM(t.amount) AS total
                           FROM credit_transfers t
                          WHERE t.origin = 'JOB'
                          GROUP BY t.reference_id, t.debit_account_id),
               paid AS (SELECT t.reference_id, SUM(t.amount) AS total
                          FROM credit_transfers t
                          JOIN credit_accounts a ON a.id = t.debit_account_id
                         WHERE t.origin = 'JOB' AND a.kind = 'JOB_HOLDS'
                         GROUP BY t.reference_id)
          SELECT 'job ' || h.job_id || ' ' || h.status || ' amount ' || h.amount || ' captured ' || COALESCE(h.captured, h.amount)
                 || ' usage ' || COALESCE(u.n, 0) || '/' || COALESCE(u.total, 0) || ' paid out ' || COALESCE(p.total, 0)
                 || ' owed ' || COALESCE(s.operator_share + s.platform_share, 0)
            FROM credit_holds h
            LEFT JOIN usage u ON u.reference_id = h.job_id::text AND u.debit_account_id = h.account_id
            LEFT JOIN paid p ON p.reference_id = h.job_id::text
            LEFT JOIN credit_settlements s ON s.hold_key = h.job_id
           WHERE COALESCE(h.captured, 0) > h.amount
              OR CASE WHEN h.status = 'CAPTURED' AND COALESCE(h.captured, h.amount) > 0
                      THEN COALESCE(u.n, 0) <> 1 OR COALESCE(u.total, 0) <> COALESCE(h.captured, h.amount)
                           OR COALESCE(p.total, 0) + COALESCE(s.operator_share + s.platform_share, 0)
                              <> COALESCE(h.captured, h.amount)
                      ELSE COALESCE(u.n, 0) <> 0 OR COALESCE(p.total, 0) <> 0 OR s.hold_key IS NOT NULL END
          """),
      new Check("an accrual pays each operator and platform shard exactly what its settlement rows owe", """
          WITH owed AS (
                 SELECT accrual_id::text || ':' || shard_account_id::text AS reference, shard_account_id AS shard,
                        operator_account_id AS account, SUM(operator_share) AS total
                   FROM credit_settlements WHERE accrual_id IS NOT NULL AND operator_share > 0 GROUP BY 1, 2, 3
                 UNION ALL
                 SELECT accrual_id::text || ':' || shard_account_id::text, shard_account_id, platform_account_id,
                        SUM(platform_share)
                   FROM credit_settlements WHERE accrual_id IS NOT NULL AND platform_share > 0 GROUP BY 1, 2, 3),
               paid AS (SELECT reference_id, debit_account_id, credit_account_id, amount FROM credit_transfers
                         WHERE origin = 'ACCRUAL')
          SELECT 'accrual ' || COALESCE(owed.reference, paid.reference_id) || ' to '
                 || COALESCE(owed.account, paid.credit_account_id) || ' owed ' || COALESCE(owed.total, 0)
                 || ' paid ' || COALESCE(paid.amount, 0)
            FROM owed FULL JOIN paid ON paid.reference_id = owed.reference AND paid.credit_account_id = owed.account
           WHERE COALESCE(owed.total, 0) <> COALESCE(paid.amount, 0) OR paid.debit_account_id <> owed.shard
          """),
      new Check("each paid checkout is credited exactly once, its package to its user", """
          SELECT 'checkout ' || c.id || ' ' || c.status || ' purchases ' || p.n || '/' || p.total
            FROM credit_checkouts c
            CROSS JOIN LATERAL (SELECT count(*) AS n, COALESCE(SUM(t.amount), 0) AS total,
                                       COALESCE(bool_and(a.owner_id = c.user_id AND a.kind = 'USER'), TRUE) AS owner_ok
                                  FROM credit_transfers t
                                  JOIN credit_accounts a ON a.id = t.credit_account_id
                                 WHERE t.source = 'PURCHASE' AND t.origin = 'CHECKOUT'
                                   AND t.reference_id = c.stripe_session_id) p
           WHERE CASE WHEN c.status = 'PAID'
                      THEN p.n <> 1 OR p.total <> c.credits OR NOT p.owner_ok
                           OR NOT EXISTS (SELECT 1 FROM credit_entries e JOIN credit_transfers t ON t.id = e.transfer_id
                                           WHERE e.id = c.purchase_entry_id AND t.source = 'PURCHASE'
                                             AND t.reference_id = c.stripe_session_id)
                      ELSE p.n <> 0 END
          """),
      new Check("no purchase without a paid checkout", """
          SELECT 'purchase transfer ' || t.id
            FROM credit_transfers t
           WHERE t.source = 'PURCHASE'
             AND NOT EXISTS (SELECT 1 FROM credit_checkouts c
                              WHERE c.stripe_session_id = t.reference_id AND c.status = 'PAID')
          """),
      new Check("each paid session has exactly one crediting Stripe event", """
          SELECT 'checkout ' || c.id || ' crediting events ' || n
            FROM (SELECT c.id, (SELECT count(*) FROM stripe_events e
                                 WHERE e.session_id = c.stripe_session_id AND e.outcome = 'CREDITED') AS n
                    FROM credit_checkouts c WHERE c.status = 'PAID') c
           WHERE n <> 1
          """),
      new Check("each confirmed deposit is credited exactly once, its worth to its reference's owner", """
          SELECT 'deposit ' || d.tx_hash || ':' || d.log_index || ' ' || d.status || ' credits ' || p.n || '/' || p.total
            FROM deposits d
            CROSS JOIN LATERAL (SELECT count(*) AS n, COALESCE(SUM(t.amount), 0) AS total,
                                       COALESCE(bool_and(a.owner_id = d.user_id AND a.kind = 'USER'), TRUE) AS owner_ok
                                  FROM credit_transfers t
                                  JOIN credit_accounts a ON a.id = t.credit_account_id
                                 WHERE t.source = 'DEPOSIT' AND t.origin = 'CHAIN'
                                   AND t.reference_id = d.tx_hash || ':' || d.log_index) p
           WHERE CASE WHEN d.status = 'CONFIRMED'
                      THEN p.n <> 1 OR p.total <> d.credits OR NOT p.owner_ok
                           OR NOT EXISTS (SELECT 1 FROM credit_entries e WHERE e.id = d.credit_entry_id
                                             AND e.transfer_id IN (SELECT t.id FROM credit_transfers t
                                                                    WHERE t.source = 'DEPOSIT'
                                                                      AND t.reference_id = d.tx_hash || ':' || d.log_index))
                      ELSE p.n <> 0 END
          """),
      new Check("no deposit credit without a confirmed deposit", """
          SELECT 'deposit transfer ' || t.id
            FROM credit_transfers t
           WHERE t.source = 'DEPOSIT'
             AND NOT EXISTS (SELECT 1 FROM deposits d
                              WHERE d.tx_hash || ':' || d.log_index = t.reference_id AND d.status = 'CONFIRMED')
          """),
      new Check("each payout is reserved once, and settled or returned once when it ends", """
          SELECT 'payout ' || p.id || ' ' || p.status || ' reserved ' || r.n || '/' || r.total
                 || ' settled ' || s.n || ' returned ' || b.n
            FROM payouts p
            CROSS JOIN LATERAL (SELECT count(*) AS n, COALESCE(SUM(t.amount), 0) AS total FROM credit_transfers t
                                 WHERE t.source = 'PAYOUT' AND t.origin = 'PAYOUT' AND t.reference_id = p.id::text
                                   AND t.credit_account_id = '00000000-0000-0000-0006-000000000000') r
            CROSS JOIN LATERAL (SELECT count(*) AS n FROM credit_transfers t
                                 WHERE t.source = 'PAYOUT' AND t.origin = 'PAYOUT' AND t.reference_id = p.id::text
                                   AND t.debit_account_id = '00000000-0000-0000-0006-000000000000'
                                   AND t.amount = p.amount) s
            CROSS JOIN LATERAL (SELECT count(*) AS n FROM credit_transfers t
                                 WHERE t.source = 'PAYOUT' AND t.origin = 'PAYOUT'
                                   AND t.reference_id = p.id || ':returned' AND t.amount = p.amount) b
           WHERE r.n <> 1 OR r.total <> p.amount
              OR s.n <> CASE WHEN p.status = 'CONFIRMED' THEN 1 ELSE 0 END
              OR b.n <> CASE WHEN p.status = 'FAILED' THEN 1 ELSE 0 END
          """),
      new Check("payouts clearing holds exactly the open payouts", """
          SELECT 'payouts_clearing ' || a.balance || ' open payouts ' || COALESCE(o.total, 0)
            FROM credit_accounts a
            CROSS JOIN (SELECT SUM(amount) AS total FROM payouts WHERE status IN ('PENDING', 'SUBMITTED')) o
           WHERE a.kind = 'PAYOUTS_CLEARING' AND a.balance <> COALESCE(o.total, 0)
          """),
      new Check("no Stripe event credited a session that is not paid", """
          SELECT 'event ' || e.event_id
            FROM stripe_events e
           WHERE e.outcome = 'CREDITED'
             AND NOT EXISTS (SELECT 1 FROM credit_checkouts c
                              WHERE c.stripe_session_id = e.session_id AND c.status = 'PAID')
          """));

  private final DSLContext dsl;

  public LedgerInvariants(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Every violation found, as "promise: detail" lines; empty when the ledger is sound. */
  public List<String> violations() {
    return dsl.transactionResult(configuration -> {
      DSLContext tx = configuration.dsl();
      // One snapshot for all checks, so concurrent writers cannot make them disagree.
      tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      List<String> found = new ArrayList<>();
      for (Check check : CHECKS) {
        tx.fetch(check.sql()).forEach(row -> found.add(check.name() + ": " + row.get(0, String.class)));
      }
      return found;
    });
  }
}
