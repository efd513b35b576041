package com.rendertrust.server;

import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.CreditServiceGrpc;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.LedgerServiceGrpc;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.WebhookServiceGrpc;
import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.EmbeddedPostgresProcess;
import com.rendertrust.server.platform.grpc.ErrorMappingInterceptor;
import com.rendertrust.server.platform.grpc.ServicePipeline;
import com.rendertrust.server.nodes.JobNetwork;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.platform.http.ResponseShapeInterceptor;
import com.rendertrust.server.platform.http.SuccessStatusInterceptor;
import com.rendertrust.server.platform.metrics.RpcMetricsInterceptor;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.platform.redis.RedisConnector;
import com.rendertrust.server.storage.LocalBlobService;
import com.rendertrust.server.storage.LocalResultStore;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.storage.S3ResultStore;
import com.rendertrust.server.system.HealthService;
import com.rendertrust.server.system.SystemGrpcService;
import com.rendertrust.server.system.VersionInfo;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
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

  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
  /** Uploads and downloads of results may take longer than an API call. */
  private static final Duration BLOB_TRANSFER_TIMEOUT = Duration.ofMinutes(10);

  private final Closer closer;
  private final Database database;
  private final RedisConnector redis;
  private final HealthService health;
  private final HealthStatusManager grpcHealth;
  private final List<ServerServiceDefinition> services;
  private final HttpEdge edge;

  private final JobNetwork jobNetwork;
  private final ResultStore results;
  private final Duration shutdownGrace;

  private ControlPlane(Closer closer, Database database, RedisConnector redis, HealthService health,
      HealthStatusManager grpcHealth, List<ServerServiceDefinition> services, HttpEdge edge, JobNetwork jobNetwork,
      ResultStore results, Duration shutdownGrace) {
    this.closer = closer;
    this.database = database;
    this.redis = redis;
    this.health = health;
    this.grpcHealth = grpcHealth;
    this.services = services;
    this.edge = edge;
    this.jobNetwork = jobNetwork;
    this.results = results;
    this.shutdownGrace = shutdownGrace;
  }

  public static ControlPlane start(ServerConfig config) {
    return start(config, Integrations.none());
  }

  /** Starts a replica with the given integrations (see {@link Integrations}). */
  public static ControlPlane start(ServerConfig config, Integrations integrations) {
    Closer closer = new Closer();
    try {
      Database database = closer.register(openDatabase(config, closer));
      String redisUrl = config.redisUrl()
          .orElseGet(() -> closer.register(EmbeddedRedisProcess.start()).url());
      RedisConnector redis = closer.register(RedisConnector.connect(redisUrl));
      PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

      Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
      checks.put("database", database::ping);
      checks.put("redis", redis::ping);
      HealthService health = new HealthService(checks);
      HealthStatusManager grpcHealth = new HealthStatusManager();

      AtomicInteger boundPort = new AtomicInteger(config.httpPort());
      List<HttpEdge.Route> routes = new ArrayList<>();
      ResultStore results = openResultStore(config, integrations.clock(), boundPort, routes, closer);

      List<BindableService> features = new ArrayList<>();
      features.add(new SystemGrpcService(health, VersionInfo.of(config.environment())));
      JobNetwork jobNetwork = null;
      if (integrations.jobsEnabled()) {
        jobNetwork = closer.register(JobNetwork.start(database, redis, config.jobs(), config.storage(), results,
            integrations.billing().orElseThrow(), integrations.nodeTokens().orElseThrow(), integrations.clock()));
        features.addAll(jobNetwork.services());
      } else {
        features.add(new JobServiceGrpc.JobServiceImplBase() { });    // needs billing (credits) and
        features.add(new NodeServiceGrpc.NodeServiceImplBase() { });  // node tokens (identity)
      }
      features.addAll(notYetImplemented());

      List<ServerServiceDefinition> services =
          new ArrayList<>(pipeline(metrics, integrations.callerInterceptors()).wrapAll(features));
      services.add(grpcHealth.getHealthService().bindService());
      services.add(ProtoReflectionServiceV1.newInstance().bindService());

      HttpEdge edge = closer.register(HttpEdge.start(
          new HttpEdge.Settings(config.httpPort(), config.maxRequestBytes(), config.requestTimeout(),
              config.shutdownGrace(), Set.of("/api/v1/webhooks/stripe"),
              Set.of("/" + NodeServiceGrpc.getConnectMethod().getFullMethodName()), routes),
          services, metrics));
      boundPort.set(edge.port());
      for (ServerServiceDefinition service : services) {
        grpcHealth.setStatus(service.getServiceDescriptor().getName(), ServingStatus.SERVING);
      }
      grpcHealth.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
      return new ControlPlane(closer, database, redis, health, grpcHealth, List.copyOf(services), edge, jobNetwork,
          results, config.shutdownGrace());
    } catch (RuntimeException e) {
      closer.close();
      throw e;
    }
  }

  /**
   * Innermost first: success-status marking, then the error model, then metrics, so metrics see
   * the final (mapped) status of every call.
   */
  public static ServicePipeline pipeline(MeterRegistry metrics) {
    return pipeline(metrics, List.of());
  }

  /** The same, with the callers' authentication innermost (inside the error model). */
  public static ServicePipeline pipeline(MeterRegistry metrics, List<ServerInterceptor> callerInterceptors) {
    List<ServerInterceptor> chain = new ArrayList<>(callerInterceptors);
    chain.add(new SuccessStatusInterceptor(Map.of(
        AuthServiceGrpc.getRegisterMethod().getFullMethodName(), 201,
        AuthServiceGrpc.getCreateApiKeyMethod().getFullMethodName(), 201,
        NodeServiceGrpc.getRegisterNodeMethod().getFullMethodName(), 201)));
    chain.add(new ResponseShapeInterceptor());
    chain.add(new ErrorMappingInterceptor());
    chain.add(new RpcMetricsInterceptor(metrics));
    return new ServicePipeline(chain);
  }

  /**
   * S3 when configured; otherwise the local store, whose upload/download routes join the edge
   * and whose URLs name this replica's port once it is bound.
   */
  private static ResultStore openResultStore(ServerConfig config, Clock clock, AtomicInteger boundPort,
      List<HttpEdge.Route> routes, Closer closer) {
    StorageConfig storage = config.storage();
    if (storage.s3().isPresent()) {
      return closer.register(S3ResultStore.create(storage.s3().get(), clock));
    }
    LocalResultStore local = LocalResultStore.open(
        storage.localDirectory().orElse(config.dataDir().resolve("blobs")),
        storage.signingKey(),
        () -> storage.publicBaseUrl().orElseGet(() -> URI.create("http://localhost:" + boundPort.get())),
        clock, storage.maxObjectBytes());
    routes.add(new HttpEdge.Route(LocalResultStore.ROUTE_PREFIX, new LocalBlobService(local),
        storage.maxObjectBytes(), BLOB_TRANSFER_TIMEOUT));
    return local;
  }

  private static Database openDatabase(ServerConfig config, Closer closer) {
    if (config.embeddedDatabase()) {
      EmbeddedPostgresProcess postgres =
          closer.register(EmbeddedPostgresProcess.start(config.dataDir().resolve("postgres"), config.durableEmbeddedDatabase()));
      return Database.open(postgres.jdbcUrl(), postgres.user(), null, config.databasePoolSize());
    }
    return Database.open(config.databaseUrl().orElseThrow(), config.databaseUser().orElse(null),
        config.databasePassword().orElse(null), config.databasePoolSize());
  }

  /**
   * Services whose contracts are complete but whose behaviour later issues build: their RPCs
   * answer UNIMPLEMENTED (501 over REST) until then, so clients see the final routes today.
   */
  private static List<BindableService> notYetImplemented() {
    return List.of(
        new AuthServiceGrpc.AuthServiceImplBase() { },       // identity and access issue
        new CreditServiceGrpc.CreditServiceImplBase() { },   // credits ledger and Stripe issue
        new WebhookServiceGrpc.WebhookServiceImplBase() { }, // credits ledger and Stripe issue
        new LedgerServiceGrpc.LedgerServiceImplBase() { });  // tamper-evident ledger issue
  }

  /** Adds every service (with the same interceptors) to another gRPC server, e.g. an in-process one. */
  public <T extends ServerBuilder<T>> T bindTo(T builder) {
    services.forEach(builder::addService);
    return builder;
  }

  public int httpPort() {
    return edge.port();
  }

  /** The jobs-and-nodes feature, when integrated (see {@link Integrations#jobsEnabled()}). */
  public Optional<JobNetwork> jobNetwork() {
    return Optional.ofNullable(jobNetwork);
  }

  /** Where job results are stored (S3 or the local store this replica serves). */
  public ResultStore resultStore() {
    return results;
  }

  public Database database() {
    return database;
  }

  public RedisConnector redis() {
    return redis;
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
    if (jobNetwork != null) {
      jobNetwork.drain(shutdownGrace);
    }
    closer.close();
    log.info("stopped");
  }
}
