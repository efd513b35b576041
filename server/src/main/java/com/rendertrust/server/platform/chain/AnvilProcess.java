package com.rendertrust.server.platform.chain;

import com.rendertrust.server.platform.FreePorts;
import com.rendertrust.server.platform.process.EmbeddedProcess;
import com.rendertrust.server.platform.process.PidFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real local EVM chain: the {@code anvil} binary from the pinned npm package
 * ({@code tools/package.json}), started on a free loopback port. The embedded default and the
 * tests use it the way they use embedded PostgreSQL and Redis.
 */
public final class AnvilProcess extends EmbeddedProcess {

  /** Where {@code npm install} in {@code tools/} puts the Linux binary (the wrapper's postinstall is not needed). */
  public static final Path NPM_BINARY = Path.of("tools", "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  /** anvil's default chain id; its well-known dev accounts are funded on it. */
  public static final long CHAIN_ID = 31337;
  /** anvil account #0, derived from the public "test test ... junk" mnemonic: a dev key, never a secret. */
  public static final String DEV_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

  /** What the pid file and the watchdog recognise the process by. */
  public static final String EXECUTABLE_NAME = "anvil";

  private static final Logger log = LoggerFactory.getLogger(AnvilProcess.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  /**
   * How to run the chain.
   *
   * @param blockTimeSeconds 0 mines a block per transaction (automine); otherwise a block every N seconds
   * @param statePath        where to load the chain from and dump it to on exit (dev keeps its chain)
   */
  public record Options(int blockTimeSeconds, Optional<Path> statePath) {

    public static Options automine() {
      return new Options(0, Optional.empty());
    }
  }

  private final Path binary;
  private final Options options;
  private final int port;

  private AnvilProcess(Path binary, Options options, int port, PidFile pidFile, boolean supervised) {
    super("anvil on port " + port, pidFile, supervised);
    this.binary = binary;
    this.options = options;
    this.port = port;
  }

  /**
   * The anvil binary: {@code explicit} ({@code RT_ANVIL_BIN}) if given, else the npm package under
   * {@code tools/} of {@code start} or one of its parents (the server runs from the repository
   * root, its tests from {@code server/}).
   */
  public static Optional<Path> locateBinary(Optional<String> explicit, Path start) {
    if (explicit.isPresent()) {
      Path path = Path.of(explicit.get());
      return Files.isExecutable(path) ? Optional.of(path.toAbsolutePath()) : Optional.empty();
    }
    for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(NPM_BINARY);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The binary as {@link #locateBinary} finds it from the environment and working directory, or a clear failure. */
  public static Path requireBinary(Map<String, String> env) {
    Optional<String> explicit = Optional.ofNullable(env.get("RT_ANVIL_BIN")).filter(v -> !v.isBlank());
    return locateBinary(explicit, Path.of("")).orElseThrow(() -> new IllegalStateException(
        explicit.map(p -> "RT_ANVIL_BIN=" + p + " is not an executable file")
            .orElse("anvil not found: run 'npm install' in tools/ (./rendertrust does) or set RT_ANVIL_BIN")));
  }

  /** Starts anvil on a free port, unsupervised and unrecorded (tests). */
  public static AnvilProcess start(Path binary, Options options) {
    return start(binary, options, PidFile.none(EXECUTABLE_NAME), false);
  }

  /**
   * Starts anvil on a free port, noted in {@code pidFile}; {@code supervised} starts it again on
   * the same port (and state file) whenever it exits without {@link #stop()}.
   */
  public static AnvilProcess start(Path binary, Options options, PidFile pidFile, boolean supervised) {
    AnvilProcess anvil = new AnvilProcess(binary, options, FreePorts.any(), pidFile, supervised);
    anvil.startProcess();
    return anvil;
  }

  public int port() {
    return port;
  }

  public String rpcUrl() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  protected Process launch() {
    List<String> command = new ArrayList<>(List.of(binary.toString(),
        "--host", "127.0.0.1", "--port", Integer.toString(port), "--chain-id", Long.toString(CHAIN_ID)));
    if (options.blockTimeSeconds() > 0) {
      command.addAll(List.of("--block-time", Integer.toString(options.blockTimeSeconds())));
    }
    options.statePath().ifPresent(state -> {
      try {
        Files.createDirectories(state.toAbsolutePath().getParent());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // Dumped on exit and every 10 s, so even a killed dev chain loses at most the last seconds.
      command.addAll(List.of("--state", state.toString(), "--state-interval", "10"));
    });
    Process process = run(command);
    awaitRpc(process);
    log.info("anvil listening on {} (chain id {})", rpcUrl(), CHAIN_ID);
    return process;
  }

  private void awaitRpc(Process process) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(rpcUrl()))
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(2))
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}"))
        .build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("anvil exited at start with " + process.exitValue() + ": " + logTail());
      }
      try {
        HttpResponse<String> response = http.send(probe, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 && response.body().contains("\"result\"")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IllegalStateException("interrupted while waiting for anvil", e);
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for anvil", e);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException("anvil did not answer on " + rpcUrl() + " within " + START_TIMEOUT + ": " + logTail());
  }
}
