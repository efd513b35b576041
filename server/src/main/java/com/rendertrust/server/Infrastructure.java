package com.rendertrust.server;

import com.rendertrust.server.ledger.anchor.Anchoring;
import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.EmbeddedPostgresProcess;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.platform.process.DataDirOwner;
import com.rendertrust.server.platform.process.PidFile;
import com.rendertrust.server.storage.InputStore;
import com.rendertrust.server.storage.LocalBlobService;
import com.rendertrust.server.storage.LocalResultStore;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.storage.S3ResultStore;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the composition root starts underneath the features: the data directory's claim, the
 * database (embedded or external), the object store and ledger anchoring.
 */
final class Infrastructure {

  private static final Logger log = LoggerFactory.getLogger(Infrastructure.class);
  /** Uploads, result PUTs and archive downloads may take long; each has its own time limit. */
  static final Duration BLOB_TRANSFER_TIMEOUT = Duration.ofMinutes(10);

  private Infrastructure() {
  }

  /** The one object store of a replica, seen as the results' and the inputs' store. */
  record ObjectStores(ResultStore results, InputStore inputs) {
  }

  /**
   * S3 when configured; otherwise the local store, whose upload/download routes join the edge
   * and whose URLs name this replica's port once it is bound.
   */
  static ObjectStores openObjectStores(ServerConfig config, Clock clock, AtomicInteger boundPort,
      List<HttpEdge.Route> routes, Closer closer) {
    StorageConfig storage = config.storage();
    if (storage.s3().isPresent()) {
      S3ResultStore s3 = closer.register(S3ResultStore.create(storage.s3().get(), clock));
      return new ObjectStores(s3, s3);
    }
    LocalResultStore local = LocalResultStore.open(
        storage.localDirectory().orElse(config.dataDir().resolve("blobs")),
        storage.signingKey(),
        () -> publicBaseUrl(storage, boundPort),
        clock, storage.maxObjectBytes());
    // the route admits the larger of the two limits; each PUT is then held to its own (a result's
    // to the object limit, an upload's to its signed size)
    routes.add(new HttpEdge.Route(LocalResultStore.ROUTE_PREFIX, new LocalBlobService(local),
        Math.max(storage.maxObjectBytes(), config.uploads().maxBytes()), BLOB_TRANSFER_TIMEOUT));
    return new ObjectStores(local, local);
  }

  /** How nodes and creators reach this replica: the configured base URL, or localhost at the bound port. */
  static URI publicBaseUrl(StorageConfig storage, AtomicInteger boundPort) {
    return storage.publicBaseUrl().orElseGet(() -> URI.create("http://localhost:" + boundPort.get()));
  }

  /**
   * A server that starts processes of its own (embedded PostgreSQL, Redis, anvil) owns its data
   * directory while it runs: a second one on it fails at once, and one that finds processes a
   * crashed owner left behind stops them first (see {@link DataDirOwner}).
   */
  static Optional<DataDirOwner> claimDataDir(ServerConfig config, Closer closer) {
    boolean embeddedAnvil = config.chain().rpcUrl().isEmpty() && config.chain().embeddedAnvil().isPresent();
    if (!config.embeddedDatabase() && !config.embeddedRedis() && !embeddedAnvil) {
      return Optional.empty();
    }
    return Optional.of(closer.register(DataDirOwner.claim(config.dataDir(), postgresDataDir(config))));
  }

  static PidFile pidFile(Optional<DataDirOwner> owner, String name, String executableName) {
    return owner.map(claimed -> claimed.pidFile(name, executableName)).orElseGet(() -> PidFile.none(executableName));
  }

  static java.nio.file.Path postgresDataDir(ServerConfig config) {
    return config.dataDir().resolve("postgres");
  }

  static Database openDatabase(ServerConfig config, Closer closer) {
    if (config.embeddedDatabase()) {
      EmbeddedPostgresProcess postgres =
          closer.register(EmbeddedPostgresProcess.start(postgresDataDir(config), config.durableEmbeddedDatabase()));
      return Database.open(postgres.jdbcUrl(), postgres.user(), null, config.databasePoolSize());
    }
    return Database.open(config.databaseUrl().orElseThrow(), config.databaseUser().orElse(null),
        config.databasePassword().orElse(null), config.databasePoolSize());
  }

  /**
   * Ledger anchoring runs when a chain is configured, or in development when the pinned anvil is
   * installed (the server then starts it, like embedded PostgreSQL); otherwise the server runs
   * without it and readiness has no {@code chain} check.
   */
  static Optional<Anchoring> startAnchoring(ServerConfig config, Database database, PidFile anvilPidFile,
      Closer closer) {
    if (!config.chain().enabled()) {
      log.info("ledger anchoring disabled: no RT_CHAIN_RPC_URL{}", "development".equals(config.environment())
          ? " and no anvil binary (npm install in tools/, or RT_ANVIL_BIN)" : "");
      return Optional.empty();
    }
    return Optional.of(closer.register(Anchoring.start(config.chain(), database, config.dataDir(), anvilPidFile,
        Clock.systemUTC())));
  }
}
