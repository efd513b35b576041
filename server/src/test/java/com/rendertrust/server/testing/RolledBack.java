package com.rendertrust.server.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jooq.DSLContext;

/** Work done in a transaction that is then rolled back: its answer stays, nothing it wrote or locked does. */
public final class RolledBack {

  private RolledBack() {
  }

  /** What {@code work} answered within a transaction of {@code dsl}, rolled back afterwards. */
  public static <T> T answer(DSLContext dsl, Function<DSLContext, T> work) {
    List<T> answered = new ArrayList<>(1);
    try {
      dsl.transaction(cfg -> {
        answered.add(work.apply(cfg.dsl()));
        throw new Rollback();
      });
    } catch (Rollback expected) {
      // the transaction's writes and locks are gone
    }
    return answered.getFirst();
  }

  private static final class Rollback extends RuntimeException {
    Rollback() {
      super(null, null, false, false);
    }
  }
}
