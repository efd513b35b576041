package com.rendertrust.server.admin;

import com.rendertrust.server.auth.SessionService;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.JobRefunds;
import com.rendertrust.server.credits.LedgerEntry;
import com.rendertrust.server.jobs.ErrorCode;
import com.rendertrust.server.jobs.Job;
import com.rendertrust.server.jobs.JobDirectory;
import com.rendertrust.server.jobs.JobPage;
import com.rendertrust.server.jobs.JobService;
import com.rendertrust.server.jobs.JobStatus;
import com.rendertrust.server.jobs.JobSubmission;
import com.rendertrust.server.nodes.NodeAdministration;
import com.rendertrust.server.nodes.NodeDirectory;
import com.rendertrust.server.nodes.NodeStatus;
import com.rendertrust.server.nodes.NodeView;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What administrators do, each call audited: credit adjustments, job refunds, the jobs and nodes
 * of everyone, node drain/disable/enable, user deactivation. The work is done by the features
 * that own the data (credits, jobs, nodes, auth); this class checks the input, finds the target
 * (404 when it does not exist) and writes the audit row with the outcome, success or failure.
 */
public final class AdminService {

  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 200;

  private final CreditService credits;
  private final JobRefunds refunds;
  private final JobDirectory jobs;
  private final JobService submissions;
  private final NodeDirectory nodes;
  private final NodeAdministration nodeActions;
  private final SessionService sessions;
  private final AdminAudit audit;

  public AdminService(CreditService credits, JobRefunds refunds, JobDirectory jobs, JobService submissions,
      NodeDirectory nodes, NodeAdministration nodeActions, SessionService sessions, AdminAudit audit) {
    this.credits = credits;
    this.refunds = refunds;
    this.jobs = jobs;
    this.submissions = submissions;
    this.nodes = nodes;
    this.nodeActions = nodeActions;
    this.sessions = sessions;
    this.audit = audit;
  }

  public LedgerEntry adjust(UUID admin, String userId, String amount, String reason, String referenceId) {
    return audited(admin, "AdjustCredits", "user", userId,
        details("amount", amount, "reason", reason, "reference_id", referenceId), () -> {
          CreditAmount signed = signedAmount(amount);
          String why = required("reason", reason);
          String reference = required("reference_id", referenceId);
          UUID user = existingUser(userId);
          return credits.adjust(user, signed, reference, why);
        });
  }

  public JobRefunds.Refund refund(UUID admin, String jobId, String reason) {
    return audited(admin, "RefundJob", "job", jobId, details("reason", reason), () -> {
      String why = required("reason", reason);
      UUID job = Ids.parse(jobId).filter(id -> jobs.find(id).isPresent())
          .orElseThrow(() -> DomainException.notFound("job"));
      return refunds.refund(job, why);
    });
  }

  public JobPage jobs(UUID admin, String status, boolean deadLettered, int limit, int offset) {
    return audited(admin, "ListAdminJobs", null, null,
        details("status", status, "dead_lettered", String.valueOf(deadLettered)),
        () -> jobs.page(status, deadLettered, pageSize(limit, offset), offset));
  }

  /**
   * A dead-lettered job runs again as a new job of its user (same type, inputs, priority, GPU),
   * submitted like any other (held, charged on completion); the idempotency key
   * {@code requeue-<job id>} makes a repeat answer the same new job.
   */
  public Job requeue(UUID admin, String jobId) {
    return audited(admin, "RequeueJob", "job", jobId, Map.of(), () -> {
      Job dead = Ids.parse(jobId).flatMap(jobs::find).orElseThrow(() -> DomainException.notFound("job"));
      if (dead.status() != JobStatus.FAILED
          || !dead.errorCode().equals(Optional.of(ErrorCode.RETRIES_EXHAUSTED.name()))) {
        throw new DomainException(Reason.JOB_NOT_REQUEUEABLE, "job " + jobId + " is " + dead.status()
            + ", not dead-lettered: only a job that FAILED with RETRIES_EXHAUSTED can be requeued");
      }
      var outcome = submissions.submit(dead.userId(), new JobSubmission(dead.jobType(), dead.payloadRef(),
          dead.payloadJson(), dead.priority().wireName(), dead.gpuRequired(), Optional.of("requeue-" + dead.id()),
          dead.inputId().map(UUID::toString)));
      return submissions.get(dead.userId(), outcome.jobId().toString());
    });
  }

  public NodeDirectory.Page nodes(UUID admin, String status, int limit, int offset) {
    return audited(admin, "ListAdminNodes", null, null, details("status", status), () -> {
      Optional<NodeStatus> filter = status == null || status.isEmpty() ? Optional.empty()
          : Optional.of(Arrays.stream(NodeStatus.values()).filter(s -> s.name().equals(status)).findFirst()
              .orElseThrow(() -> DomainException.validation("unknown status '" + status + "'; valid values: "
                  + Arrays.stream(NodeStatus.values()).map(Enum::name).collect(Collectors.joining(", ")))));
      return nodes.page(filter, pageSize(limit, offset), offset);
    });
  }

  public NodeView drain(UUID admin, String nodeId) {
    return audited(admin, "DrainNode", "node", nodeId, Map.of(), () -> nodeActions.drain(node(nodeId)));
  }

  public NodeView disable(UUID admin, String nodeId) {
    return audited(admin, "DisableNode", "node", nodeId, Map.of(), () -> nodeActions.disable(node(nodeId)));
  }

  public NodeView enable(UUID admin, String nodeId) {
    return audited(admin, "EnableNode", "node", nodeId, Map.of(), () -> nodeActions.enable(node(nodeId)));
  }

  public SessionService.Deactivation deactivate(UUID admin, String userId, String reason) {
    return audited(admin, "DeactivateUser", "user", userId, details("reason", reason), () -> {
      required("reason", reason);
      UUID user = Ids.parse(userId).orElseThrow(() -> DomainException.notFound("user"));
      return sessions.deactivate(user).orElseThrow(() -> DomainException.notFound("user"));
    });
  }

  /** Runs {@code work} and audits its outcome: "OK", or the reason it failed with (then rethrows). */
  private <T> T audited(UUID admin, String action, String targetType, String targetId, Map<String, String> details,
      Supplier<T> work) {
    T result;
    try {
      result = work.get();
    } catch (RuntimeException e) {
      String outcome = e instanceof DomainException domain ? domain.reason().name() : Reason.INTERNAL.name();
      try {
        audit.record(admin, action, targetType, targetId, details, outcome);
      } catch (RuntimeException auditFailed) {
        e.addSuppressed(auditFailed); // the call's own failure is the answer
      }
      throw e;
    }
    // Unaudited success is not an answer: the caller gets the audit's failure (503 when the
    // database is down) and repeats; every action is safe to repeat (references, idempotent states).
    audit.record(admin, action, targetType, targetId, details, "OK");
    return result;
  }

  private UUID existingUser(String userId) {
    return Ids.parse(userId).filter(sessions::exists).orElseThrow(() -> DomainException.notFound("user"));
  }

  private UUID node(String nodeId) {
    return Ids.parse(nodeId).orElseThrow(() -> DomainException.notFound("node"));
  }

  /** "2.5", "-2.5000": a non-zero signed decimal with at most 4 places; 422 otherwise. */
  static CreditAmount signedAmount(String text) {
    if (text == null) {
      throw invalid("amount", "amount is required");
    }
    boolean negative = text.startsWith("-");
    CreditAmount amount = CreditAmount.parsePositive("amount", negative ? text.substring(1) : text);
    return negative ? amount.negate() : amount;
  }

  private static String required(String field, String value) {
    if (value == null || value.isBlank()) {
      throw invalid(field, field + " is required");
    }
    return value.strip();
  }

  private static int pageSize(int limit, int offset) {
    if (limit < 0 || limit > MAX_PAGE) {
      throw invalid("limit", "limit must be between 1 and " + MAX_PAGE);
    }
    if (offset < 0) {
      throw invalid("offset", "offset must not be negative");
    }
    return limit == 0 ? DEFAULT_PAGE : limit;
  }

  private static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }

  private static Map<String, String> details(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null && !pairs[i + 1].isEmpty()) {
        map.put(pairs[i], pairs[i + 1]);
      }
    }
    return map;
  }
}
