package com.rendertrust.server.auth;

import static com.rendertrust.server.auth.Access.ADMIN;
import static com.rendertrust.server.auth.Access.NODE;
import static com.rendertrust.server.auth.Access.PUBLIC;
import static com.rendertrust.server.auth.Access.PUBLIC_OPTIONAL_CALLER;
import static com.rendertrust.server.auth.Access.USER;
import static com.rendertrust.server.auth.Access.USER_SESSION;

import com.rendertrust.api.v1.AdminServiceGrpc;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DepositServiceGrpc;
import com.rendertrust.api.v1.JobPricingServiceGrpc;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.LedgerServiceGrpc;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.OperatorServiceGrpc;
import com.rendertrust.api.v1.PayoutServiceGrpc;
import com.rendertrust.api.v1.SystemServiceGrpc;
import com.rendertrust.api.v1.UploadServiceGrpc;
import com.rendertrust.api.v1.WalletServiceGrpc;
import com.rendertrust.api.v1.WebhookEndpointServiceGrpc;
import com.rendertrust.api.v1.WebhookServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one table of who may call which RPC, taken from each RPC's "Caller:" comment in the
 * contracts. The access-control interceptor denies any method that is not listed here, so a
 * new RPC is unreachable until someone decides its policy (a test checks that every served
 * method has an entry).
 */
public final class AccessPolicy {

  private AccessPolicy() {
  }

  /** Full gRPC method name to its access rule, for every method the server serves. */
  public static Map<String, Access> table() {
    Map<String, Access> table = new LinkedHashMap<>();

    put(table, AuthServiceGrpc.getRegisterMethod(), PUBLIC);
    put(table, AuthServiceGrpc.getLoginMethod(), PUBLIC);
    put(table, AuthServiceGrpc.getRefreshMethod(), PUBLIC); // authenticated by the refresh token in the body
    put(table, AuthServiceGrpc.getLogoutMethod(), USER_SESSION);
    put(table, AuthServiceGrpc.getCreateApiKeyMethod(), USER_SESSION);
    put(table, AuthServiceGrpc.getListApiKeysMethod(), USER);
    put(table, AuthServiceGrpc.getRevokeApiKeyMethod(), USER);

    // Wallet sign-in is public (the signature is the credential); linking needs the session.
    put(table, WalletServiceGrpc.getCreateSiweNonceMethod(), PUBLIC);
    put(table, WalletServiceGrpc.getVerifySiweMethod(), PUBLIC);
    put(table, WalletServiceGrpc.getLinkWalletMethod(), USER_SESSION);
    put(table, WalletServiceGrpc.getListWalletsMethod(), USER);

    put(table, DepositServiceGrpc.getGetDepositInfoMethod(), USER);
    put(table, DepositServiceGrpc.getListDepositsMethod(), USER);

    put(table, PayoutServiceGrpc.getCreatePayoutMethod(), USER_SESSION);
    put(table, PayoutServiceGrpc.getListPayoutsMethod(), USER);

    put(table, CreditServiceGrpc.getGetBalanceMethod(), USER);
    put(table, CreditServiceGrpc.getListHistoryMethod(), USER);
    // Errors: 401, 422 VALIDATION_FAILED (days outside 1..90).
    put(table, CreditServiceGrpc.getGetUsageMethod(), USER);
    put(table, CreditServiceGrpc.getDeductMethod(), USER);
    put(table, CreditServiceGrpc.getListPackagesMethod(), USER);
    put(table, CreditServiceGrpc.getCreateCheckoutMethod(), USER);

    put(table, JobServiceGrpc.getDispatchJobMethod(), USER);
    put(table, JobServiceGrpc.getListJobsMethod(), USER);
    put(table, JobServiceGrpc.getGetJobMethod(), USER);
    put(table, JobServiceGrpc.getCancelJobMethod(), USER);
    put(table, JobServiceGrpc.getGetJobResultMethod(), USER);
    put(table, JobServiceGrpc.getListJobTasksMethod(), USER);
    put(table, JobServiceGrpc.getListJobOutputsMethod(), USER);
    put(table, JobServiceGrpc.getListJobEventsMethod(), USER);
    put(table, JobServiceGrpc.getWatchJobMethod(), USER);
    put(table, JobServiceGrpc.getWatchJobsMethod(), USER);
    put(table, JobPricingServiceGrpc.getEstimateJobMethod(), USER);
    put(table, JobPricingServiceGrpc.getRetryJobMethod(), USER);

    put(table, LedgerServiceGrpc.getGetProofMethod(), USER);
    put(table, LedgerServiceGrpc.getVerifyEntryMethod(), USER);
    put(table, LedgerServiceGrpc.getListAnchorsMethod(), USER);

    put(table, NodeServiceGrpc.getRegisterNodeMethod(), PUBLIC_OPTIONAL_CALLER);
    put(table, NodeServiceGrpc.getProveNodeMethod(), NODE);
    put(table, NodeServiceGrpc.getHeartbeatMethod(), NODE);
    put(table, NodeServiceGrpc.getConnectMethod(), NODE);

    // The caller's own nodes and earnings. Errors: 401; GetOperatorEarnings also 422
    // VALIDATION_FAILED (limit outside 1..200, negative offset).
    put(table, OperatorServiceGrpc.getListOperatorNodesMethod(), USER);
    put(table, OperatorServiceGrpc.getGetOperatorEarningsMethod(), USER);

    // Administrators only: 401 without credentials, 403 PERMISSION_DENIED for anyone else; every
    // call reaching the service is audited (admin_audit).
    // AdjustCredits: 404 (no such user), 402, 409 IDEMPOTENCY_CONFLICT, 422.
    put(table, AdminServiceGrpc.getAdjustCreditsMethod(), ADMIN);
    // RefundJob: 404 (no such job), 409 JOB_NOT_REFUNDABLE, 422 (missing reason).
    put(table, AdminServiceGrpc.getRefundJobMethod(), ADMIN);
    // ListAdminJobs, ListAdminNodes: 422 (unknown status, bad paging).
    put(table, AdminServiceGrpc.getListAdminJobsMethod(), ADMIN);
    // RequeueJob: 404 (no such job), 409 JOB_NOT_REQUEUEABLE (not dead-lettered), 402, 400
    // NO_HEALTHY_NODE, 422 (its input is gone).
    put(table, AdminServiceGrpc.getRequeueJobMethod(), ADMIN);
    put(table, AdminServiceGrpc.getListAdminNodesMethod(), ADMIN);
    // DrainNode, DisableNode, EnableNode: 404 (no such node).
    put(table, AdminServiceGrpc.getDrainNodeMethod(), ADMIN);
    put(table, AdminServiceGrpc.getDisableNodeMethod(), ADMIN);
    put(table, AdminServiceGrpc.getEnableNodeMethod(), ADMIN);
    // DeactivateUser: 404 (no such user), 422 (missing reason).
    put(table, AdminServiceGrpc.getDeactivateUserMethod(), ADMIN);

    put(table, SystemServiceGrpc.getHealthMethod(), PUBLIC);
    put(table, SystemServiceGrpc.getReadyMethod(), PUBLIC);
    put(table, SystemServiceGrpc.getVersionMethod(), PUBLIC);

    put(table, UploadServiceGrpc.getCreateUploadMethod(), USER);
    put(table, UploadServiceGrpc.getCompleteUploadMethod(), USER);
    put(table, UploadServiceGrpc.getGetUploadMethod(), USER);
    put(table, UploadServiceGrpc.getListUploadsMethod(), USER);
    put(table, UploadServiceGrpc.getDeleteUploadMethod(), USER);

    putAll(table, WebhookEndpointServiceGrpc.getServiceDescriptor(), USER);

    // Stripe authenticates itself with the signature over the raw body, checked by the handler.
    put(table, WebhookServiceGrpc.getStripeWebhookMethod(), PUBLIC);

    // Infrastructure: gRPC health checking and server reflection (for grpcurl and probes).
    putAll(table, HealthGrpc.getServiceDescriptor(), PUBLIC);
    putAll(table, ServerReflectionGrpc.getServiceDescriptor(), PUBLIC);
    return Map.copyOf(table);
  }

  private static void put(Map<String, Access> table, MethodDescriptor<?, ?> method, Access access) {
    if (table.put(method.getFullMethodName(), access) != null) {
      throw new IllegalStateException("two policies for " + method.getFullMethodName());
    }
  }

  private static void putAll(Map<String, Access> table, ServiceDescriptor service, Access access) {
    service.getMethods().forEach(method -> put(table, method, access));
  }
}
