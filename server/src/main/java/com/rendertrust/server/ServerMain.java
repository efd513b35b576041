package com.rendertrust.server;

import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.EmbeddedDefault;
import com.rendertrust.server.platform.config.ServerConfig;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts one control-plane replica and keeps it running until the process is told to stop. */
public final class ServerMain {

  private static final Logger log = LoggerFactory.getLogger(ServerMain.class);

  private ServerMain() {
  }

  public static void main(String[] args) throws InterruptedException {
    boolean dev = Arrays.asList(args).contains("--dev");
    ServerConfig config;
    try {
      config = new ConfigLoader(System.getenv()).load(dev);
    } catch (IllegalArgumentException e) {
      System.err.println("rendertrust: " + e.getMessage());
      System.exit(2);
      return;
    }
    // the production build leaves the embedded PostgreSQL and Redis out: say what to set instead
    Optional<String> missing = EmbeddedDefault.missingParts(config, ServerMain.class.getClassLoader());
    if (missing.isPresent()) {
      System.err.println("rendertrust: " + missing.get());
      System.exit(2);
      return;
    }
    ControlPlane controlPlane;
    try {
      controlPlane = ControlPlane.start(config);
    } catch (RuntimeException e) {
      // e.g. the data directory is in use by a running server: say so and exit, whatever threads
      // the failed start left behind (the embedded processes it started are stopped already)
      log.error("could not start", e);
      System.err.println("rendertrust: could not start: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      controlPlane.close();
      stopped.countDown();
    }, "rendertrust-shutdown"));
    log.info("RenderTrust {} listening on http://localhost:{} (gRPC and REST); database installation {}{}",
        config.environment(), controlPlane.httpPort(), controlPlane.database().installationId(),
        config.embeddedDatabase() ? ", data in " + config.dataDir() : "");
    stopped.await();
  }
}
