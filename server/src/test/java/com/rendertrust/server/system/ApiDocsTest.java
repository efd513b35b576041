package com.rendertrust.server.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.SpecVersion;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /openapi.json} is a valid OpenAPI 3.1 document (checked by swagger-parser) that covers
 * every method and path of docs/API.md, and {@code /docs} renders its operations in a real
 * headless Chromium, with every file served by the server itself.
 */
class ApiDocsTest {

  private static final Pattern ROW = Pattern.compile("^\\|\\s*(GET|POST|PUT|PATCH|DELETE)\\s*\\|\\s*([^|]+)\\|");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void openApiDocumentIsValidOpenApi31() {
    HttpResponse<String> response = server.get("/openapi.json");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).get().asString().startsWith("application/json");

    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(response.body(), null, options);
    assertThat(result.getMessages()).as("parser messages").isEmpty();
    OpenAPI api = result.getOpenAPI();
    assertThat(api.getSpecVersion()).isEqualTo(SpecVersion.V31);
    assertThat(api.getOpenapi()).isEqualTo("3.1.0");
    assertThat(api.getComponents().getSecuritySchemes()).containsKeys("bearerAuth", "apiKey");
  }

  @Test
  void everyDocumentedMethodAndPathIsAnOperation() throws IOException {
    OpenAPI api = parse();
    Set<String> missing = new TreeSet<>();
    List<String> documented = documentedRoutes();
    assertThat(documented).hasSizeGreaterThan(30).contains("GET /openapi.json", "GET /docs");
    for (String route : documented) {
      String[] methodAndPath = route.split(" ", 2);
      PathItem item = api.getPaths().get(methodAndPath[1]);
      if (item == null || !item.readOperationsMap().containsKey(
          PathItem.HttpMethod.valueOf(methodAndPath[0].toUpperCase(Locale.ROOT)))) {
        missing.add(route);
      }
    }
    assertThat(missing).as("docs/API.md routes missing from /openapi.json").isEmpty();
  }

  @Test
  void operationsCarryTheContractsCommentsStatusesAndSnakeCaseSchemas() {
    JsonNode document = Json.parse(server.get("/openapi.json").body());
    JsonNode dispatch = document.at("/paths/~1api~1v1~1jobs~1dispatch/post");
    assertThat(dispatch.get("x-grpc-method").asText()).isEqualTo("rendertrust.v1.JobService/DispatchJob");
    assertThat(dispatch.get("summary").asText()).startsWith("Submits a job");
    assertThat(dispatch.at("/responses/402/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/InsufficientCreditsError");
    assertThat(dispatch.at("/responses/422/description").asText()).contains("VALIDATION_FAILED");
    JsonNode register = document.at("/paths/~1api~1v1~1auth~1register/post");
    assertThat(register.get("responses").has("201")).isTrue();
    assertThat(register.get("security")).isEmpty(); // Caller: public
    assertThat(document.at("/paths/~1api~1v1~1jobs~1{job_id}/get/responses/200/content/application~1json/schema/$ref")
        .asText()).isEqualTo("#/components/schemas/Job"); // response_body: "job"
    JsonNode job = document.at("/components/schemas/Job/properties");
    assertThat(job.has("payload_ref")).isTrue();
    assertThat(job.has("payloadRef")).isFalse();
    assertThat(job.at("/node_id/type").toString()).isEqualTo("[\"string\",\"null\"]");
    assertThat(document.at("/components/schemas/DispatchJobRequest/required").toString()).contains("job_type");
    JsonNode complete = document.at("/paths/~1api~1v1~1uploads~1{upload_id}~1complete/post");
    assertThat(complete.at("/parameters/0/name").asText()).isEqualTo("upload_id");
    assertThat(complete.at("/requestBody/content/application~1json/schema/properties").has("upload_id"))
        .as("a path field is not asked for in the body").isFalse();
    JsonNode listJobs = document.at("/paths/~1api~1v1~1jobs/get/parameters");
    List<String> query = new ArrayList<>();
    listJobs.forEach(parameter -> query.add(parameter.get("name").asText() + ":" + parameter.get("in").asText()));
    assertThat(query).containsExactly("status:query", "limit:query", "offset:query");
  }

  @Test
  void docsRenderTheOperationsInHeadlessChromiumFromTheServerAlone(@TempDir Path profile) throws Exception {
    HttpResponse<String> page = server.get("/docs");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).get().asString().startsWith("text/html");
    assertThat(page.body()).as("no CDN: every file comes from this server").doesNotContain("http:", "https:", "//cdn");
    assertThat(server.get("/docs/swagger-ui-bundle.js").statusCode()).isEqualTo(200);
    assertThat(server.get("/docs/swagger-ui.css").statusCode()).isEqualTo(200);
    assertThat(server.postJson("/docs", "{}").statusCode()).isEqualTo(405);

    assertThat(CHROMIUM).as("Debian's chromium").isExecutable();
    Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile.resolve("profile"),
        // virtual time: the page's scripts and fetches run to completion before the DOM is dumped
        "--virtual-time-budget=30000", "--dump-dom", server.uri("/docs").toString())
        .redirectError(profile.resolve("chromium.log").toFile())
        .start();
    byte[] dom = chromium.getInputStream().readAllBytes();
    assertThat(chromium.waitFor(3, TimeUnit.MINUTES)).as("chromium exited").isTrue();
    String html = new String(dom, StandardCharsets.UTF_8);
    assertThat(html).as("rendered DOM (chromium log: %s)", Files.readString(profile.resolve("chromium.log")))
        .contains("class=\"swagger-ui", "RenderTrust API", "opblock", "/api/v1/jobs/dispatch",
            "/api/v1/credits/balance", "JobService");
  }

  private static OpenAPI parse() {
    ParseOptions options = new ParseOptions();
    return new OpenAPIV3Parser().readContents(server.get("/openapi.json").body(), null, options).getOpenAPI();
  }

  /** "METHOD path" of every REST row of docs/API.md whose path is a path (not a presigned URL). */
  private static List<String> documentedRoutes() throws IOException {
    List<String> routes = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("..", "docs", "API.md"))) {
      Matcher row = ROW.matcher(line);
      if (row.find()) {
        for (String path : row.group(2).split(",")) {
          if (path.strip().startsWith("/")) {
            routes.add(row.group(1) + " " + path.strip());
          }
        }
      }
    }
    return routes;
  }
}
