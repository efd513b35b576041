package com.rendertrust.sdk;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CancelJobRequest;
import com.rendertrust.api.v1.CreateApiKeyRequest;
import com.rendertrust.api.v1.CreateApiKeyResponse;
import com.rendertrust.api.v1.CreateCheckoutRequest;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.DispatchJobRequest;
import com.rendertrust.api.v1.DispatchJobResponse;
import com.rendertrust.api.v1.GetBalanceRequest;
import com.rendertrust.api.v1.GetJobRequest;
import com.rendertrust.api.v1.GetJobResultRequest;
import com.rendertrust.api.v1.GetJobResultResponse;
import com.rendertrust.api.v1.GetProofRequest;
import com.rendertrust.api.v1.GetProofResponse;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.LedgerServiceGrpc;
import com.rendertrust.api.v1.ListHistoryRequest;
import com.rendertrust.api.v1.ListHistoryResponse;
import com.rendertrust.api.v1.ListJobsRequest;
import com.rendertrust.api.v1.ListJobsResponse;
import com.rendertrust.api.v1.ListPackagesRequest;
import com.rendertrust.api.v1.LoginRequest;
import com.rendertrust.api.v1.LoginResponse;
import com.rendertrust.api.v1.LogoutRequest;
import com.rendertrust.api.v1.RefreshRequest;
import com.rendertrust.api.v1.RefreshResponse;
import com.rendertrust.api.v1.RegisterRequest;
import com.rendertrust.api.v1.RegisterResponse;
import com.rendertrust.api.v1.UploadServiceGrpc;
import com.rendertrust.api.v1.VerifyEntryRequest;
import com.rendertrust.api.v1.VerifyEntryResponse;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The Java client of the RenderTrust control plane, over gRPC. Every call has a deadline;
 * failures surface as {@link RenderTrustException} subclasses keyed by the server's
 * {@code ErrorInfo.reason}. After {@link #login} or {@link #register} the client keeps the tokens,
 * refreshes the access token shortly before it expires, and retries a call once after a refresh
 * when the server answers UNAUTHENTICATED. With {@link #useApiKey} it authenticates by API key.
 *
 * <pre>{@code
 * try (RenderTrustClient client = RenderTrustClient.connect("http://localhost:8000")) {
 *   client.login("ada@example.com", "correct horse");
 *   Job job = client.submitJob(JobRequest.of("echo", Map.of("message", "hello")));
 *   Job done = client.awaitCompletion(job.id(), Duration.ofMinutes(1));
 *   client.downloadResult(done.id(), Path.of("result.bin"));
 * }
 * }</pre>
 */
public final class RenderTrustClient implements AutoCloseable {

  /** Refresh this long before the access token expires. */
  private static final long REFRESH_MARGIN_SECONDS = 60;

  private final Channel channel;
  private final ManagedChannel ownedChannel;
  private final Duration deadline;
  private final Clock clock;
  private final Credentials credentials = new Credentials();
  private final HttpClient http;

  private RenderTrustClient(Channel channel, ManagedChannel ownedChannel, Duration deadline, Clock clock) {
    this.ownedChannel = ownedChannel;
    this.deadline = deadline;
    this.clock = clock;
    this.channel = ClientInterceptors.intercept(channel, new CredentialsInterceptor(credentials));
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  /** A client over an existing channel (in-process, TLS, load-balanced...); the caller owns the channel. */
  public static RenderTrustClient create(Channel channel) {
    return builder().channel(channel).build();
  }

  /** A client for a server URL such as {@code http://localhost:8000} (plaintext h2c) or {@code https://api...}. */
  public static RenderTrustClient connect(String url) {
    return builder().url(url).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a client; {@link #url} or {@link #channel} is required. */
  public static final class Builder {
    private Channel channel;
    private String url;
    private Duration deadline = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();

    public Builder channel(Channel value) {
      channel = value;
      return this;
    }

    public Builder url(String value) {
      url = value;
      return this;
    }

    /** Deadline of every call (default 30 s). */
    public Builder deadline(Duration value) {
      deadline = Objects.requireNonNull(value);
      return this;
    }

    Builder clock(Clock value) {
      clock = value;
      return this;
    }

    public RenderTrustClient build() {
      if (channel != null) {
        return new RenderTrustClient(channel, null, deadline, clock);
      }
      URI uri = URI.create(Objects.requireNonNull(url, "url or channel is required"));
      boolean tls = "https".equals(uri.getScheme());
      int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
      NettyChannelBuilder builder = NettyChannelBuilder.forAddress(uri.getHost(), port);
      ManagedChannel managed = (tls ? builder.useTransportSecurity() : builder.usePlaintext()).build();
      return new RenderTrustClient(managed, managed, deadline, clock);
    }
  }

  // ---- identity ------------------------------------------------------------------------------

  /** Creates an account and keeps its tokens. Throws {@link ConflictException} (EMAIL_TAKEN) for a taken email. */
  public Tokens register(String email, String name, String password) {
    RegisterResponse response = call(() -> auth().register(RegisterRequest.newBuilder()
        .setEmail(email).setName(name).setPassword(password).build()), false);
    Tokens tokens = new Tokens(response.getTokens().getAccessToken(), response.getTokens().getRefreshToken());
    credentials.useTokens(tokens);
    return tokens;
  }

  /** Logs in and keeps the tokens. Throws {@link AuthenticationException} for bad credentials. */
  public Tokens login(String email, String password) {
    LoginResponse response = call(() -> auth().login(LoginRequest.newBuilder()
        .setEmail(email).setPassword(password).build()), false);
    Tokens tokens = new Tokens(response.getAccessToken(), response.getRefreshToken());
    credentials.useTokens(tokens);
    return tokens;
  }

  /** Uses tokens obtained elsewhere (e.g. a stored session). */
  public void useTokens(Tokens tokens) {
    credentials.useTokens(tokens);
  }

  /** Authenticates every later call with an API key ({@code rt_live_...}) instead of tokens. */
  public void useApiKey(String apiKey) {
    credentials.useApiKey(apiKey);
  }

  /** The tokens in use now (after automatic refreshes), or null. */
  public Tokens tokens() {
    return credentials.tokens();
  }

  /** Exchanges the refresh token for a new pair (the old refresh token stops working). */
  public synchronized Tokens refresh() {
    Tokens current = credentials.tokens();
    if (current == null) {
      throw new IllegalStateException("no session to refresh: log in first");
    }
    try {
      RefreshResponse response = stub(AuthServiceGrpc.newBlockingStub(channel))
          .refresh(RefreshRequest.newBuilder().setRefreshToken(current.refreshToken()).build());
      Tokens tokens = new Tokens(response.getAccessToken(), response.getRefreshToken());
      credentials.useTokens(tokens);
      return tokens;
    } catch (StatusRuntimeException e) {
      throw Errors.translate(e);
    }
  }

  /** Revokes the session on the server and forgets it locally. */
  public void logout() {
    call(() -> auth().logout(LogoutRequest.getDefaultInstance()), true);
    credentials.clear();
  }

  /** Creates an API key for the logged-in user; the returned secret is shown only this once. */
  public String createApiKey(String name) {
    CreateApiKeyResponse response = call(() -> auth().createApiKey(
        CreateApiKeyRequest.newBuilder().setName(name).build()), true);
    return response.getKey();
  }

  /** The caller's API keys, newest first (secrets are never listed). */
  public List<ApiKeyInfo> listApiKeys() {
    return call(() -> auth().listApiKeys(com.rendertrust.api.v1.ListApiKeysRequest.getDefaultInstance()), true)
        .getApiKeysList().stream().map(Mapping::apiKey).toList();
  }

  /** Revokes one of the caller's API keys; another user's key id answers {@link NotFoundException}. */
  public ApiKeyInfo revokeApiKey(String keyId) {
    return Mapping.apiKey(call(() -> auth().revokeApiKey(
        com.rendertrust.api.v1.RevokeApiKeyRequest.newBuilder().setKeyId(keyId).build()), true).getApiKey());
  }

  // ---- credits -------------------------------------------------------------------------------

  public Balance balance() {
    var response = call(() -> credits().getBalance(GetBalanceRequest.getDefaultInstance()), true);
    return new Balance(response.getUserId(), new BigDecimal(response.getBalance()));
  }

  /** One page of the caller's credit history, newest first; {@code limit} 1..200. */
  public Page<LedgerEntry> history(int limit, int offset) {
    ListHistoryResponse response = call(() -> credits().listHistory(ListHistoryRequest.newBuilder()
        .setLimit(limit).setOffset(offset).build()), true);
    return new Page<>(response.getEntriesList().stream().map(Mapping::entry).toList(), response.getCount());
  }

  /** The caller's usage per UTC day for the last {@code days} days (1..90), oldest first, zeros included. */
  public Usage usage(int days) {
    var response = call(() -> credits().getUsage(com.rendertrust.api.v1.GetUsageRequest.newBuilder().setDays(days)
        .build()), true);
    return new Usage(response.getDaysList().stream().map(day -> new Usage.Day(java.time.LocalDate.parse(day.getDate()),
        new BigDecimal(day.getSpent()), new BigDecimal(day.getRefunded()), new BigDecimal(day.getPurchased())))
        .toList(), new BigDecimal(response.getTotalSpent()));
  }

  public List<CreditPackage> packages() {
    return call(() -> credits().listPackages(ListPackagesRequest.getDefaultInstance()), true)
        .getPackagesList().stream()
        .map(p -> new CreditPackage(p.getId(), p.getName(), new BigDecimal(p.getCredits()), p.getPriceCents(),
            p.getCurrency()))
        .toList();
  }

  /** Starts a Stripe Checkout for a package; send the user to {@link CheckoutSession#checkoutUrl()}. */
  public CheckoutSession checkout(String packageId) {
    var response = call(() -> credits().createCheckout(
        CreateCheckoutRequest.newBuilder().setPackageId(packageId).build()), true);
    return new CheckoutSession(response.getSessionId(), response.getCheckoutUrl());
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /**
   * Submits a job; retrying the same {@link JobRequest} (same idempotency key) returns the same job.
   * Throws {@link InsufficientCreditsException} or {@link NoHealthyNodeException} when it cannot run.
   */
  public Job submitJob(JobRequest request) {
    DispatchJobRequest.Builder proto = DispatchJobRequest.newBuilder()
        .setJobType(request.jobType())
        .setPriority(request.priority())
        .setGpuRequired(request.gpuRequired())
        .setIdempotencyKey(request.idempotencyKey())
        .setPayload(Structs.toStruct(request.payload()));
    if (request.payloadRef() != null) {
      proto.setPayloadRef(request.payloadRef());
    }
    if (request.inputId() != null) {
      proto.setInputId(request.inputId());
    }
    DispatchJobResponse response = call(() -> jobs().dispatchJob(proto.build()), true);
    return getJob(response.getJobId());
  }

  /** One of the caller's jobs; another user's job id answers {@link NotFoundException}, like a missing one. */
  public Job getJob(String jobId) {
    return Mapping.job(call(() -> jobs().getJob(GetJobRequest.newBuilder().setJobId(jobId).build()), true).getJob());
  }

  /** The caller's jobs, newest first; {@code status} null for all. */
  public Page<Job> listJobs(String status, int limit, int offset) {
    ListJobsRequest.Builder request = ListJobsRequest.newBuilder().setLimit(limit).setOffset(offset);
    if (status != null) {
      request.setStatus(status);
    }
    ListJobsResponse response = call(() -> jobs().listJobs(request.build()), true);
    return new Page<>(response.getJobsList().stream().map(Mapping::job).toList(), response.getCount());
  }

  /**
   * Cancels a QUEUED or DISPATCHED job (a dispatched one is also stopped on its node) and releases
   * its hold; a running or ended job answers {@link JobNotCancellableException}.
   */
  public Job cancelJob(String jobId) {
    return Mapping.job(call(() -> jobs().cancelJob(CancelJobRequest.newBuilder().setJobId(jobId).build()), true)
        .getJob());
  }

  /**
   * Waits (on the job's events, {@link #watchJob}; polling an older server) until the job is
   * COMPLETED, FAILED or CANCELLED; after {@code timeout}: UnavailableException (DEADLINE_EXCEEDED).
   */
  public Job awaitCompletion(String jobId, Duration timeout) {
    return JobWaits.awaitCompletion(jobId, timeout, this::getJob,
        () -> new JobWatch(channel, jobId, 0, timeout, this::refreshIfExpiring), clock);
  }

  /** The job's events from seq 1 until its terminal event ({@link JobWatch}; no deadline; close to stop). */
  public JobWatch watchJob(String jobId) {
    return watchJob(jobId, 0);
  }

  /** As {@link #watchJob(String)}, resuming after {@code afterSeq}. */
  public JobWatch watchJob(String jobId, long afterSeq) {
    return new JobWatch(channel, jobId, afterSeq, null, this::refreshIfExpiring);
  }

  private void refreshIfExpiring() {
    if (credentials.canRefresh() && credentials.accessExpiresWithin(REFRESH_MARGIN_SECONDS, clock.instant())) {
      refresh();
    }
  }

  /**
   * Downloads a COMPLETED job's result to {@code target} through its presigned URL, streamed; a
   * job with several outputs (a render) downloads as one ZIP of all its frames.
   */
  public Path downloadResult(String jobId, Path target) {
    GetJobResultResponse result = call(() -> jobs().getJobResult(
        GetJobResultRequest.newBuilder().setJobId(jobId).build()), true);
    return downloads().download(result.getDownloadUrl(), target, "the result of job " + jobId);
  }

  /** Render jobs: submit a render of an upload, list tasks and outputs, download every frame verified. */
  public Renders renders() {
    return new Renders(StubCaller.of(rpc -> call(rpc, true), this::jobs), this::submitJob, downloads());
  }

  /** For node operators: the caller's own nodes and earnings. */
  public Operators operators() {
    return new Operators(StubCaller.of(rpc -> call(rpc, true),
        () -> stub(com.rendertrust.api.v1.OperatorServiceGrpc.newBlockingStub(channel))),
        StubCaller.of(rpc -> call(rpc, true), () -> stub(com.rendertrust.api.v1.PayoutServiceGrpc.newBlockingStub(channel))));
  }

  /** For administrators (role ADMIN): adjustments, refunds, jobs, the fleet, deactivation. */
  public Admin admin() {
    return new Admin(StubCaller.of(rpc -> call(rpc, true),
        () -> stub(com.rendertrust.api.v1.AdminServiceGrpc.newBlockingStub(channel))));
  }

  private Downloads downloads() {
    return new Downloads(http, deadline.multipliedBy(4));
  }

  /** The caller's uploaded inputs (scenes, assets): upload, look at, delete. */
  public Uploads uploads() {
    return new Uploads(StubCaller.of(rpc -> call(rpc, true),
        () -> stub(UploadServiceGrpc.newBlockingStub(channel))), http, deadline.multipliedBy(20));
  }

  /** Uploads {@code file} and returns the READY upload; see {@link Uploads#upload}. */
  public Upload upload(Path file) {
    return uploads().upload(file);
  }

  // ---- tamper-evident ledger -----------------------------------------------------------------

  /** The inclusion proof of one of the caller's ledger entries; check it with {@link LedgerProof#verifiesLocally()}. */
  public LedgerProof proof(String entryId) {
    GetProofResponse response = call(() -> ledger().getProof(
        GetProofRequest.newBuilder().setEntryId(entryId).build()), true);
    return new LedgerProof(response.getEntryId(), response.getLeaf(), response.getMerkleRoot(),
        response.getProofHashesList(), response.getDirectionsList(),
        response.hasAnchorTxHash() ? response.getAnchorTxHash() : null,
        response.hasBlockNumber() ? response.getBlockNumber() : null);
  }

  /**
   * Waits until the entry's batch is anchored and final, then returns its proof. Entries are
   * sealed periodically and anchoring waits for confirmations, so a fresh entry answers
   * {@link NotAnchoredException} for a while; after {@code timeout} that exception is rethrown.
   */
  public LedgerProof awaitProof(String entryId, Duration timeout) {
    Instant giveUp = clock.instant().plus(timeout);
    long pauseMillis = 200;
    while (true) {
      try {
        return proof(entryId);
      } catch (NotAnchoredException notYet) {
        if (clock.instant().isAfter(giveUp)) {
          throw notYet;
        }
      }
      sleep(pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, 5_000);
    }
  }

  /** Anchored batches, newest first; {@code page} from 1, {@code perPage} 1..100. */
  public Page<AnchorInfo> anchors(int page, int perPage) {
    var response = call(() -> ledger().listAnchors(com.rendertrust.api.v1.ListAnchorsRequest.newBuilder()
        .setPage(page).setPerPage(perPage).build()), true);
    return new Page<>(response.getAnchorsList().stream().map(Mapping::anchor).toList(), response.getCount());
  }

  /** The server's comparison of the entry's root with the root stored on chain. */
  public Verification verify(String entryId) {
    VerifyEntryResponse response = call(() -> ledger().verifyEntry(
        VerifyEntryRequest.newBuilder().setEntryId(entryId).build()), true);
    return new Verification(response.getEntryId(), response.getVerified(), response.getMerkleRoot(),
        response.hasOnChainRoot() ? response.getOnChainRoot() : null,
        response.hasBlockNumber() ? response.getBlockNumber() : null,
        response.hasTxHash() ? response.getTxHash() : null);
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private AuthServiceGrpc.AuthServiceBlockingStub auth() {
    return stub(AuthServiceGrpc.newBlockingStub(channel));
  }

  private CreditServiceGrpc.CreditServiceBlockingStub credits() {
    return stub(CreditServiceGrpc.newBlockingStub(channel));
  }

  private JobServiceGrpc.JobServiceBlockingStub jobs() {
    return stub(JobServiceGrpc.newBlockingStub(channel));
  }

  private LedgerServiceGrpc.LedgerServiceBlockingStub ledger() {
    return stub(LedgerServiceGrpc.newBlockingStub(channel));
  }

  private <S extends io.grpc.stub.AbstractStub<S>> S stub(S stub) {
    return stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Runs one call: refreshes an access token about to expire first, and once more after an
   * UNAUTHENTICATED answer, so a token that expired in flight costs one retry, not an error.
   */
  private <T> T call(Supplier<T> rpc, boolean authenticated) {
    if (authenticated) {
      refreshIfExpiring();
    }
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      if (authenticated && e.getStatus().getCode() == Status.Code.UNAUTHENTICATED && credentials.canRefresh()) {
        try {
          refresh();
        } catch (RenderTrustException refreshFailed) {
          throw Errors.translate(e);
        }
        try {
          return rpc.get();
        } catch (StatusRuntimeException again) {
          throw Errors.translate(again);
        }
      }
      throw Errors.translate(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
  }

  @Override
  public void close() {
    if (ownedChannel != null) {
      ownedChannel.shutdown();
      try {
        if (!ownedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
          ownedChannel.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ownedChannel.shutdownNow();
      }
    }
  }
}
