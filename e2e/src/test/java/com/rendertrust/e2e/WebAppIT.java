package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The creator web app in Debian's headless chromium (playwright-core pointed at /usr/bin/chromium,
 * nothing downloaded), against the real server ({@code ServerMain --dev}, the app served from its
 * jar at /) and one node agent (echo, cpu_benchmark, render with the real Blender and a sleeping
 * command, one slot). Stripe is
 * {@link FakeStripeCheckout}: its hosted page sends the signed webhook and returns the browser to
 * the app's /checkout/success. The browser steps are web/test/flow.test.mjs (node --test): the
 * seed guide's flow (account, balance 0 and the three packages, the 402 warning, buying 100
 * credits, an echo job to COMPLETED without a reload and its download, cancelling a queued job)
 * and the pages beyond it (estimate, live events, a render of an uploaded scene with its frame
 * gallery and ZIP, API keys, webhooks, the ledger proof, the operator's nodes), at 1280×800 and phone size, failing on any console error. Screenshots of
 * every page go to target/e2e/web-*&#47;screenshots.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebAppIT {

  private static final String WEBHOOK_SECRET = "whsec_e2e_web";
  private static final String PASSWORD = CreatorStack.OPERATOR_PASSWORD;
  private static final String BLENDER = "blender";
  /** Tests in web/test/flow.test.mjs; the run must report exactly this many passing. */
  private static final int BROWSER_TESTS = 15;

  private Processes processes;
  @RegisterExtension
  final ProcessLogsOnFailure logsOnFailure = new ProcessLogsOnFailure(() -> processes);

  private E2eSettings settings;
  private Path runDir;
  /**
   * The browser's TMPDIR. Chromium binds its SingletonSocket under it, and a Unix socket's path
   * is limited to 107 bytes: under a checkout as deep as CI's, runDir is too long, and Chromium
   * aborts at launch ("Socket path too long").
   */
  private Path browserTmp;
  private FakeStripeCheckout stripe;
  private ServerProcess server;
  private AgentProcess agent;
  private String operatorEmail;

  @BeforeAll
  void startServerAndAnAgent() throws Exception {
    settings = E2eSettings.fromSystemProperties();
    processes = new Processes();
    runDir = settings.workDir().resolve("web-" + Instant.now().toString().replace(':', '-'));
    Files.createDirectories(runDir);
    browserTmp = Files.createTempDirectory(Path.of("/tmp"), "rt-web-");
    // the server's build ran it already (the bundle is in its jar); this installs playwright-core
    // if that build skipped the app, and is a no-op otherwise
    run("build-web", List.of("bash", "tools/build-web.sh"), settings.repositoryRoot(), Duration.ofMinutes(8), Map.of());

    stripe = new FakeStripeCheckout(WEBHOOK_SECRET);
    CreatorStack stack = CreatorStack.start(settings, processes, runDir, "web", stripe.baseUrl(), WEBHOOK_SECRET,
        // Stripe fills in {CHECKOUT_SESSION_ID} (not a valid URI character, hence no URI.resolve)
        base -> Map.of("RT_CHECKOUT_SUCCESS_URL", base + "checkout/success?session_id={CHECKOUT_SESSION_ID}",
            "RT_CHECKOUT_CANCEL_URL", base + "checkout/cancel"));
    server = stack.server;
    agent = stack.agent;
    operatorEmail = stack.operatorEmail;
    stripe.deliverWebhooksTo(server.baseUrl());
  }

  @AfterAll
  void stopEverything() throws Exception {
    try {
      CreatorStack.stop(agent, processes, stripe);
    } finally {
      if (browserTmp != null) {
        try (var paths = Files.walk(browserTmp)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
      }
    }
  }

  @Test
  void theServerServesTheBuiltAppAtTheRoot() {
    Rest.Response page = new Rest(server.baseUrl()).get("/jobs", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("<div id=\"app\"></div>", "/assets/")
        .doesNotContain("-Drt.web.skip");
  }

  @Test
  void theSeedFlowAndThePagesBeyondItPassInChromium() throws Exception {
    Path screenshots = runDir.resolve("screenshots");
    Files.createDirectories(screenshots);
    String output = run("web-flow", List.of("node", "--test", "--test-concurrency=1", "test/flow.test.mjs"),
        settings.repositoryRoot().resolve("web"), Duration.ofMinutes(12), Map.of(
            "RT_WEB_URL", server.baseUrl().toString(),
            "RT_WEB_SCREENSHOTS", screenshots.toString(),
            "RT_WEB_OPERATOR_EMAIL", operatorEmail,
            "RT_WEB_OPERATOR_PASSWORD", PASSWORD,
            "RT_WEB_SLEEP_JOB", AgentProcess.SLEEP_JOB,
            "RT_WEB_BLENDER", BLENDER,
            "RT_WEB_WEBHOOK_URL", stripe.baseUrl().resolve("/hooks/web").toString()));
    assertThat(output).contains("# pass " + BROWSER_TESTS).contains("# fail 0");
    try (var shots = Files.list(screenshots)) {
      assertThat(shots.map(path -> path.getFileName().toString())).contains("jobs.png", "credits.png",
          "job-detail.png", "submit-job.png", "register.png", "phone-jobs.png", "render-detail.png");
    }
  }

  /** Runs {@code command} in {@code dir}; asserts exit 0; returns its output. */
  private String run(String name, List<String> command, Path dir, Duration timeout, Map<String, String> environment)
      throws Exception {
    Map<String, String> env = new java.util.HashMap<>(environment);
    env.put("TMPDIR", browserTmp.toString());
    ManagedProcess process = processes.track(ManagedProcess.start(name, command, env, dir, runDir.resolve(name + ".log")));
    int exitCode = process.awaitExit(timeout);
    String output = Files.readString(process.log(), StandardCharsets.UTF_8);
    assertThat(exitCode).as("%s exit code; output:%n%s", name, output).isZero();
    return output;
  }
}
