package com.rendertrust.server;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.PayoutServiceGrpc;
import com.rendertrust.api.v1.UploadServiceGrpc;
import com.rendertrust.api.v1.WalletServiceGrpc;
import com.rendertrust.api.v1.WebhookEndpointServiceGrpc;
import com.rendertrust.server.auth.AccessControlInterceptor;
import com.rendertrust.server.auth.Identity;
import com.rendertrust.server.ledger.LedgerGrpcService;
import com.rendertrust.server.ledger.LedgerProofService;
import com.rendertrust.server.ledger.LedgerSealer;
import com.rendertrust.server.ledger.anchor.MerkleBatchSealer;
import com.rendertrust.server.ledger.anchor.AnchorQueryService;
import com.rendertrust.server.ledger.anchor.AnchorRepository;
import com.rendertrust.server.ledger.anchor.Anchoring;
import com.rendertrust.server.credits.CreditGrpcService;
import com.rendertrust.server.events.Events;
import com.rendertrust.server.events.JobEventStreamRoute;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.JobHolds;
import com.rendertrust.server.credits.JobRefunds;
import com.rendertrust.server.admin.AdminAudit;
import com.rendertrust.server.admin.AdminGrpcService;
import com.rendertrust.server.admin.AdminService;
import com.rendertrust.server.jobs.JobDirectory;
import com.rendertrust.server.credits.OperatorEarnings;
import com.rendertrust.server.credits.ShareAccruals;
import com.rendertrust.server.credits.UsageReport;
import com.rendertrust.server.jobs.NodeWork;
import com.rendertrust.server.nodes.NodeDirectory;
import com.rendertrust.server.operators.OperatorGrpcService;
import com.rendertrust.server.operators.OperatorViews;
import com.rendertrust.server.payments.CheckoutRateLimiter;
import com.rendertrust.server.payments.CheckoutService;
import com.rendertrust.server.payments.StripeCheckoutGateway;
import com.rendertrust.server.payments.StripeSignatureVerifier;
import com.rendertrust.server.payments.StripeWebhookProcessor;
import com.rendertrust.server.payments.WebhookGrpcService;
import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.config.CreditsConfig;
import com.rendertrust.server.platform.config.StripeConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.grpc.ErrorMappingInterceptor;
import com.rendertrust.server.platform.grpc.InputRulesInterceptor;
import com.rendertrust.server.platform.grpc.ServicePipeline;
import com.rendertrust.server.jobs.LedgerJobBilling;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.platform.http.PlainRoute;
import com.rendertrust.server.platform.http.ResponseShapeInterceptor;
import com.rendertrust.server.platform.http.SuccessStatusInterceptor;
import com.rendertrust.server.platform.metrics.RpcMetricsInterceptor;
import com.rendertrust.server.platform.metrics.ScrapedRegistry;
import com.rendertrust.server.platform.telemetry.RpcTracingInterceptor;
import com.rendertrust.server.platform.telemetry.Telemetry;
import com.rendertrust.server.platform.telemetry.TransactionSpans;
import com.rendertrust.server.platform.telemetry.Tracing;
import com.rendertrust.server.platform.process.DataDirOwner;
import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.platform.ratelimit.RateLimit;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.platform.redis.RedisConnector;
import com.rendertrust.server.jobs.JobInputUsage;
import com.rendertrust.server.jobs.JobArchiveRoute;
import com.rendertrust.server.storage.SignedRoutes;
import com.rendertrust.server.storage.LocalResultStore;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.system.ApiDocs;
import com.rendertrust.server.system.HealthService;
import com.rendertrust.server.system.SystemGrpcService;
import com.rendertrust.server.system.VersionInfo;
import com.rendertrust.server.tokens.ChainMoney;
import com.rendertrust.server.uploads.Uploads;
import com.rendertrust.server.web.WebApp;
import com.rendertrust.server.webhooks.Webhooks;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of a server replica: builds every part with {@code new}, in dependency
 * order, from one {@link ServerConfig}. Tests build the very same object and may additionally
 * bind its services to an in-process gRPC server via {@link #bindTo}.
 */
public final class ControlPlane implements AutoCloseable {

  /** How often the webhooks follow the job events log (besides the log's own settle time). */
  private static final Duration WEBHOOK_FEED_INTERVAL = Duration.ofMillis(500);

  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

  private final Closer closer;
  private final Database database;
  private final RedisConnector redis;
  private final Identity identity;
  private final HealthService health;
  private final HealthStatusManager grpcHealth;
  private final List<ServerServiceDefinition> services;
  private final HttpEdge edge;
  private final Optional<Anchoring> anchoring;
  private final CreditService credits;
  private final JobHolds jobHolds;

  private final JobNetwork jobNetwork;
  private final ResultStore results;
  private final Uploads uploads;
  private final ChainMoney chainMoney;
  private final Webhooks webhooks;
  private final Duration shutdownGrace;
  private final Events events;

  private ControlPlane(Closer closer, Database database, RedisConnector redis, Identity identity,
      HealthService health, HealthStatusManager grpcHealth, List<ServerServiceDefinition> services, HttpEdge edge,
      Optional<Anchoring> anchoring, CreditService credits, JobHolds jobHolds, JobNetwork jobNetwork,
      ResultStore results, Uploads uploads, ChainMoney chainMoney, Webhooks webhooks, Duration shutdownGrace,
      Events events) {
    this.events = events;
    this.closer = closer;
    this.database = database;
    this.redis = redis;
    this.identity = identity;
    this.health = health;
    this.grpcHealth = grpcHealth;
    this.services = services;
    this.edge = edge;
    this.anchoring = anchoring;
    this.credits = credits;
    this.jobHolds = jobHolds;
    this.jobNetwork = jobNetwork;
    this.results = results;
    this.uploads = uploads;
    this.chainMoney = chainMoney;
    this.webhooks = webhooks;
    this.shutdownGrace = shutdownGrace;
  }

  public static ControlPlane start(ServerConfig config) {
    return start(config, Clock.systemUTC());
  }

  /**
   * {@code jobsClock}: the time jobs, nodes and result URLs read (timeouts, challenges, URL
   * expiry), so tests can move it; identity and payments keep the system clock, so tokens
   * issued for a test stay valid however far it moves.
   */
  public static ControlPlane start(ServerConfig config, Clock jobsClock) {
    return start(config, jobsClock, null);
  }

  /**
   * As above, with traces recorded by {@code openTelemetry} (tests: the SDK with an in-memory
   * exporter); {@code null}: as the standard {@code OTEL_*} variables say (off without an endpoint).
   */
  public static ControlPlane start(ServerConfig config, Clock jobsClock, OpenTelemetry openTelemetry) {
    Closer closer = new Closer();
    try {
      // closed last: spans still buffered are flushed after everything else stopped
      OpenTelemetry tracing = openTelemetry != null ? openTelemetry
          : Tracing.orNoop(Tracing.fromEnvironment(System.getenv(), "rendertrust-server").map(closer::register));
      // first in, last out: the data directory is released after everything started here stopped
      Optional<DataDirOwner> owner = Infrastructure.claimDataDir(config, closer);
      Database database = closer.register(Infrastructure.openDatabase(config, closer));
      String redisUrl = config.redisUrl().orElseGet(() -> closer.register(EmbeddedRedisProcess.start(
          Infrastructure.pidFile(owner, "redis", EmbeddedRedisProcess.EXECUTABLE_NAME), true)).url());
      RedisConnector redis = closer.register(RedisConnector.connect(redisUrl, tracing));
      // the one registry of /metrics: jvm_*, hikaricp_*, rpc_server_*, rt_* (docs/operations.md)
      ScrapedRegistry metrics = new ScrapedRegistry();
      closer.register((AutoCloseable) metrics::close); // its JVM GC listener goes with it
      database.bindMetrics(metrics);
      Telemetry telemetry = new Telemetry(metrics, tracing);
      database.bindTracing(new TransactionSpans(telemetry.tracer()));
      Clock clock = Clock.systemUTC();
      // Replicas of one installation share Redis keys; other installations on the same Redis do not.
      String redisKeyPrefix = "rt:" + database.installationId() + ":";

      Identity identity = Identity.create(config.auth(), config.environment(), config.dataDir(), database, redis,
          redisKeyPrefix, closer, clock);

      Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
      checks.put("database", database::ping);
      checks.put("redis", redis::ping);
      Optional<Anchoring> anchoring = Infrastructure.startAnchoring(config, database,
          Infrastructure.pidFile(owner, "anvil", AnvilProcess.EXECUTABLE_NAME), closer);
      anchoring.ifPresent(running -> checks.put("chain", running::chainReady));
      anchoring.ifPresent(running -> running.chain().traced(telemetry.tracer()));
      HealthService health = new HealthService(checks);
      HealthStatusManager grpcHealth = new HealthStatusManager();

      CreditsConfig creditsConfig = config.credits();
      StripeConfig stripe = creditsConfig.stripe();
      CreditService credits = new CreditService(database.dsl());
      JobHolds jobHolds = new JobHolds(database.dsl(), creditsConfig.operatorSharePercent());
      // batched captures owe operators and the platform their shares; this pays them every second
      closer.register(new ShareAccruals(database.dsl()).start());
      CheckoutService checkout = new CheckoutService(database.dsl(),
          stripe.checkoutEnabled() ? Optional.of(new StripeCheckoutGateway(stripe)) : Optional.empty(),
          new CheckoutRateLimiter(redis.connection(), creditsConfig.checkoutsPerMinute(), clock));
      StripeWebhookProcessor stripeWebhooks = new StripeWebhookProcessor(database.dsl(), credits,
          stripe.webhookEnabled()
              ? Optional.of(new StripeSignatureVerifier(stripe.webhookSecrets(), clock)) : Optional.empty(),
          stripe.liveMode());
      log.info("payments: checkout {}, webhook {}", stripe.checkoutEnabled() ? "enabled" : "disabled (no RT_STRIPE_SECRET_KEY)",
          stripe.webhookEnabled() ? "enabled" : "disabled (no RT_STRIPE_WEBHOOK_SECRET)");

      // Node registrations share the account registrations' per-address budget, counted apart.
      RateLimit nodeRegistrations = RateLimit.perMinute("node-register:ip", config.auth().rateLimits().registerPerMinute());
      AtomicInteger boundPort = new AtomicInteger(config.httpPort());
      List<HttpEdge.Route> routes = new ArrayList<>();
      Infrastructure.ObjectStores stores = Infrastructure.openObjectStores(config, jobsClock, boundPort, routes, closer);
      ResultStore results = stores.results();
      Uploads uploads = closer.register(Uploads.start(database, stores.inputs(), config.uploads(),
          JobInputUsage::isInUse, jobsClock));
      SignedRoutes archives = results instanceof LocalResultStore local ? local.signedRoutes()
          : SignedRoutes.withKey(config.storage().signingKey(), () -> Infrastructure.publicBaseUrl(config.storage(), boundPort), jobsClock);
      Events events = closer.register(Events.start(database, redis, redisKeyPrefix, clock));
      JobNetwork jobNetwork = closer.register(JobNetwork.start(database, redis, config.jobs(), config.storage(),
          results, archives, new LedgerJobBilling(jobHolds), claims -> identity.tokens().issueNodeToken(claims).value(),
          address -> identity.rateLimiter().acquire(nodeRegistrations, address), jobsClock, uploads.inputs(),
          events.log(), events.streams(), telemetry));
      OperatorMetrics operatorMetrics = OperatorMetrics.register(metrics, database, jobNetwork, anchoring);

      // ZIPs of outputs are streamed for as long as a download of results may take
      routes.add(new HttpEdge.Route(JobArchiveRoute.PREFIX, jobNetwork.archiveRoute(), 1024,
          Infrastructure.BLOB_TRANSFER_TIMEOUT));

      List<BindableService> features = new ArrayList<>();
      features.add(new SystemGrpcService(health, VersionInfo.of(config.environment())));
      features.add(identity.grpcService());
      AnchorRepository anchorRepository = new AnchorRepository(database.dsl());
      Timer sealDuration = Timer.builder("rt.ledger.batch.seal.duration")
          .description("Sealing one ledger batch into its Merkle tree").publishPercentileHistogram().register(metrics);
      anchoring.ifPresent(running -> closer.register(new LedgerSealer(database.dsl(),
          new MerkleBatchSealer(anchorRepository, clock), config.chain().sealInterval(),
          config.chain().sealMaxEntries(), clock, sealDuration).start()));
      features.add(new LedgerGrpcService(new AnchorQueryService(anchorRepository),
          new LedgerProofService(database.dsl(), anchorRepository, anchoring.map(Anchoring::chain))));
      features.add(new CreditGrpcService(credits, checkout, new UsageReport(database.dsl(), clock)));
      features.add(WebhookGrpcService.bindable(stripeWebhooks));
      features.addAll(jobNetwork.services());
      features.add(uploads.grpcService());
      NodeDirectory nodeDirectory = new NodeDirectory(database.dsl());
      features.add(new OperatorGrpcService(new OperatorViews(nodeDirectory, new NodeWork(database.dsl()),
          new OperatorEarnings(database.dsl()))));
      features.add(new AdminGrpcService(new AdminService(credits, new JobRefunds(database.dsl()),
          new JobDirectory(database.dsl()), jobNetwork.jobs(), nodeDirectory, jobNetwork.administration(nodeDirectory),
          identity.sessions(), new AdminAudit(database.dsl(), clock))));
      ChainMoney chainMoney = closer.register(ChainMoney.start(config, database, identity, anchoring, credits,
          () -> Infrastructure.publicBaseUrl(config.storage(), boundPort), clock));
      features.addAll(chainMoney.services());
      // Webhooks to creators: every replica delivers (the outbox is leased), fed by the job events log.
      Webhooks webhooks = closer.register(Webhooks.start(database.dsl(), config.webhooks(), jobsClock));
      // every job event becomes a delivery to the endpoints of its owner that subscribed to its type
      webhooks.follow(new JobEventWebhookFeed(events.log(), jobNetwork.jobs()), 0, WEBHOOK_FEED_INTERVAL);
      features.add(webhooks.grpcService());
      operatorMetrics.webhookBacklog(webhooks::pendingDeliveries);

      ServicePipeline pipeline = pipeline(metrics, identity.accessControl(), telemetry.tracer());
      List<ServerServiceDefinition> services = new ArrayList<>(pipeline.wrapAll(features));
      services.add(pipeline.wrap(grpcHealth.getHealthService().bindService()));
      services.add(pipeline.wrap(ProtoReflectionServiceV1.newInstance().bindService()));

      // The SSE form of a job's events is served over WatchJob, called in-process with the
      // client's credentials, so it passes the very same interceptors as any RPC.
      String loopbackName = "rt-loopback-" + java.util.UUID.randomUUID();
      io.grpc.inprocess.InProcessServerBuilder loopbackServer =
          io.grpc.inprocess.InProcessServerBuilder.forName(loopbackName);
      services.forEach(loopbackServer::addService);
      io.grpc.Server loopback = loopbackServer.build();
      try {
        loopback.start();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("starting the in-process gRPC server failed", e);
      }
      closer.register(loopback::shutdownNow);
      io.grpc.ManagedChannel loopbackChannel =
          io.grpc.inprocess.InProcessChannelBuilder.forName(loopbackName).build();
      closer.register(loopbackChannel::shutdownNow);
      HttpEdge.StreamRoute jobEventStream = new JobEventStreamRoute(loopbackChannel).streamRoute();

      HttpEdge edge = closer.register(HttpEdge.start(
          new HttpEdge.Settings(config.httpPort(), config.maxRequestBytes(), config.requestTimeout(),
              config.shutdownGrace(), Set.of("/api/v1/webhooks/stripe"),
              Set.of("/" + NodeServiceGrpc.getConnectMethod().getFullMethodName(),
                  "/" + JobServiceGrpc.getWatchJobMethod().getFullMethodName(),
                  "/" + JobServiceGrpc.getWatchJobsMethod().getFullMethodName()), routes,
              List.of(jobEventStream), config.cors()),
          services, metrics, plainRoutes(identity), Optional.of(WebApp.fromClasspath().fallbackRoute())));
      boundPort.set(edge.port());
      // only now can nodes reach this replica: the reconnect grace of their jobs counts from here
      jobNetwork.startSweeping(jobsClock.instant());
      for (ServerServiceDefinition service : services) {
        grpcHealth.setStatus(service.getServiceDescriptor().getName(), ServingStatus.SERVING);
      }
      grpcHealth.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
      return new ControlPlane(closer, database, redis, identity, health, grpcHealth, List.copyOf(services), edge,
          anchoring, credits, jobHolds, jobNetwork, results, uploads, chainMoney, webhooks, config.shutdownGrace(),
          events);
    } catch (RuntimeException | Error e) {
      // an Error too (a class missing from the classpath): PostgreSQL, Redis and anvil are
      // processes of their own and would outlive this JVM
      closer.close();
      throw e;
    }
  }

  /**
   * Innermost first: success-status marking, the input rules every message obeys (checked
   * only for callers that passed access control), then access control (authentication and the
   * per-RPC policy, before any handler runs), then the error model, which also answers access
   * failures, then metrics, so metrics see the final (mapped) status of every call.
   */
  public static ServicePipeline pipeline(MeterRegistry metrics, AccessControlInterceptor accessControl) {
    return pipeline(metrics, accessControl, OpenTelemetry.noop().getTracer(Telemetry.INSTRUMENTATION));
  }

  /** As above, outermost a span per call (its context current for everything inside). */
  public static ServicePipeline pipeline(MeterRegistry metrics, AccessControlInterceptor accessControl, Tracer tracer) {
    return new ServicePipeline(List.of(
        new SuccessStatusInterceptor(Map.of(
            AuthServiceGrpc.getRegisterMethod().getFullMethodName(), 201,
            AuthServiceGrpc.getCreateApiKeyMethod().getFullMethodName(), 201,
            NodeServiceGrpc.getRegisterNodeMethod().getFullMethodName(), 201,
            UploadServiceGrpc.getCreateUploadMethod().getFullMethodName(), 201,
            WalletServiceGrpc.getLinkWalletMethod().getFullMethodName(), 201,
            PayoutServiceGrpc.getCreatePayoutMethod().getFullMethodName(), 201,
            WebhookEndpointServiceGrpc.getCreateWebhookEndpointMethod().getFullMethodName(), 201,
            WebhookEndpointServiceGrpc.getSendTestWebhookMethod().getFullMethodName(), 202,
            WebhookEndpointServiceGrpc.getRedeliverWebhookMethod().getFullMethodName(), 202)),
        new InputRulesInterceptor(),
        accessControl,
        new ResponseShapeInterceptor(),
        new ErrorMappingInterceptor(),
        new RpcMetricsInterceptor(metrics),
        new RpcTracingInterceptor(tracer)));
  }

  /** Documents served next to the RPCs: the JWKS, the OpenAPI document and Swagger UI. */
  private static List<PlainRoute> plainRoutes(Identity identity) {
    List<PlainRoute> routes = new ArrayList<>();
    routes.add(identity.jwksRoute());
    routes.addAll(ApiDocs.routes());
    return routes;
  }

  /** Adds every service (with the same interceptors) to another gRPC server, e.g. an in-process one. */
  public <T extends ServerBuilder<T>> T bindTo(T builder) {
    services.forEach(builder::addService);
    return builder;
  }

  public int httpPort() {
    return edge.port();
  }

  /** Nodes, their streams, the scheduler and the sweeper. */
  public JobNetwork jobNetwork() {
    return jobNetwork;
  }

  /** Where job results are stored (S3 or the local store this replica serves). */
  public ResultStore resultStore() {
    return results;
  }

  /** Job events: the log (read API for consumers such as webhooks) and the live hub. */
  public Events events() {
    return events;
  }

  /** Creators' uploaded inputs. */
  public Uploads uploads() {
    return uploads;
  }

  /** Wallet sign-in, token deposits and payouts. */
  public ChainMoney chainMoney() {
    return chainMoney;
  }

  /** Webhooks to creators: endpoints, the outbox and its worker, and the sink job events enter through. */
  public Webhooks webhooks() {
    return webhooks;
  }

  public Database database() {
    return database;
  }

  public RedisConnector redis() {
    return redis;
  }

  /** Tokens (including node tokens), revocations and rate limits, for the features built on them. */
  public Identity identity() {
    return identity;
  }

  /** Every service this replica serves, already behind the interceptor pipeline. */
  public List<ServerServiceDefinition> services() {
    return services;
  }

  /** The running anchoring feature, when enabled. */
  public Optional<Anchoring> anchoring() {
    return anchoring;
  }

  /** Balances, history, deductions and adjustments of user credit accounts. */
  public CreditService credits() {
    return credits;
  }

  /** The jobs flow's money API: hold at submit, capture on completion, release otherwise. */
  public JobHolds jobHolds() {
    return jobHolds;
  }

  /**
   * Graceful stop: health reports NOT_SERVING first (gRPC health and {@code /health}), in-flight
   * calls drain within the grace period, then dependencies close in reverse order.
   */
  @Override
  public void close() {
    log.info("shutting down: draining in-flight calls");
    health.startDraining();
    grpcHealth.enterTerminalState();
    jobNetwork.drain(shutdownGrace);
    events.drain();
    closer.close();
    log.info("stopped");
  }
}
