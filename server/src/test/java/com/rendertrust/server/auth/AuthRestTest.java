package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.API_KEYS;
import static com.rendertrust.server.db.Tables.REFRESH_FAMILIES;
import static com.rendertrust.server.db.Tables.REFRESH_TOKENS;
import static com.rendertrust.server.db.Tables.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Auth REST contract of API.md, end to end against real Postgres and Redis. */
class AuthRestTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  // --- register ---------------------------------------------------------------------------

  @Test
  void registerAnswers201WithTheUserAndATokenPair() {
    String email = "Ada." + UUID.randomUUID() + "@Example.COM";
    HttpResponse<String> response = register(email, "Ada Lovelace", "analytical engine");

    assertThat(response.statusCode()).isEqualTo(201);
    JsonNode body = Json.parse(response.body());
    JsonNode user = body.get("user");
    assertThat(UUID.fromString(user.get("id").asText())).isNotNull();
    assertThat(user.get("email").asText()).isEqualTo(email.toLowerCase());
    assertThat(user.get("name").asText()).isEqualTo("Ada Lovelace");
    assertThat(user.get("is_active").asBoolean()).isTrue();
    JsonNode tokens = body.get("tokens");
    assertThat(tokens.get("token_type").asText()).isEqualTo("bearer");
    assertThat(tokens.get("access_token").asText()).isNotBlank();
    assertThat(tokens.get("refresh_token").asText()).isNotBlank();
    assertThat(fieldNames(body)).containsExactlyInAnyOrder("user", "tokens");
    assertThat(fieldNames(user)).containsExactlyInAnyOrder("id", "email", "name", "is_active");

    // the new session works at once
    assertThat(server.get("/api/v1/auth/api-keys", bearer(tokens.get("access_token").asText())).statusCode())
        .isEqualTo(200);
    assertThat(dsl().fetchOne(USERS, USERS.ID.eq(UUID.fromString(user.get("id").asText())))
        .getPasswordHash()).as("stored as an Argon2id hash, never in clear").startsWith("$argon2id$")
        .doesNotContain("analytical engine");
  }

  @ParameterizedTest
  @ValueSource(strings = {"%s", "  %s  ", "UPPER.%s"})
  void aRegisteredEmailIs409HoweverItIsWritten(String variant) {
    String email = "dup-" + UUID.randomUUID() + "@example.com";
    assertThat(register(email, "First", "password-1").statusCode()).isEqualTo(201);
    String again = variant.startsWith("UPPER") ? email.toUpperCase() : variant.formatted(email);
    int usersBefore = dsl().fetchCount(USERS);

    HttpResponse<String> duplicate = register(again, "Second", "password-2");

    assertThat(duplicate.statusCode()).isEqualTo(409);
    assertThat(Json.parse(duplicate.body()).get("detail").asText()).isEqualTo("email already registered");
    assertThat(dsl().fetchCount(USERS)).as("nothing written").isEqualTo(usersBefore);
  }

  @Test
  void emailsInAnotherUnicodeNormalFormAreTheSameAccount() {
    String local = "jose" + UUID.randomUUID().toString().substring(0, 8);
    // "é" precomposed (NFC) vs "e" + combining acute (NFD): rejected as an address either way
    // (local parts are ASCII), so both forms give the same deterministic answer.
    HttpResponse<String> nfc = register(local + "\u00e9@example.com", "N", "password-1");
    HttpResponse<String> nfd = register(local + "e\u0301@example.com", "N", "password-1");
    assertThat(nfc.statusCode()).isEqualTo(422);
    assertThat(nfd.statusCode()).isEqualTo(422);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"a@\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"a@@b.co\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"a b@c.co\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"a@b\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"a\\u0000@b.co\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"a\\n@b.co\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"@b.co\",\"name\":\"N\",\"password\":\"password-1\"}",
      "{\"email\":\"x@b.co\",\"name\":\"N\",\"password\":\"short\"}",
      "{\"email\":\"x@b.co\",\"name\":\"N\",\"password\":\"1234567\"}",
      "{\"email\":\"x@b.co\",\"name\":\"N\"}",
      "{\"email\":\"x@b.co\",\"name\":\"N\",\"password\":\"pass\\u0000word-1\"}",
      "{\"email\":\"x@b.co\",\"name\":\"\",\"password\":\"password-1\"}",
      "{\"email\":\"x@b.co\",\"name\":\"   \",\"password\":\"password-1\"}",
      "{\"email\":\"x@b.co\",\"password\":\"password-1\"}"})
  void invalidRegistrationsAre422AndWriteNothing(String body) {
    int usersBefore = dsl().fetchCount(USERS);
    HttpResponse<String> response = server.postJson("/api/v1/auth/register", body);
    assertThat(response.statusCode()).as(body).isEqualTo(422);
    JsonNode error = Json.parse(response.body());
    assertThat(error.get("detail").asText()).isNotBlank();
    assertThat(error.get("field").asText()).isIn("email", "password", "name");
    assertThat(dsl().fetchCount(USERS)).isEqualTo(usersBefore);
  }

  @Test
  void overLongEmailAndPasswordAre422() {
    String longEmail = "a".repeat(64) + "@" + "b".repeat(60) + "." + "c".repeat(60) + "." + "d".repeat(60) + ".example";
    assertThat(longEmail.length()).isGreaterThan(254);
    assertThat(register(longEmail, "N", "password-1").statusCode()).isEqualTo(422);
    assertThat(register("x-" + UUID.randomUUID() + "@b.co", "N", "p".repeat(129)).statusCode()).isEqualTo(422);
    assertThat(register("x-" + UUID.randomUUID() + "@b.co", "N", "p".repeat(100_000)).statusCode()).isEqualTo(422);
    // 128 characters is the documented maximum and works
    assertThat(register("x-" + UUID.randomUUID() + "@b.co", "N", "p".repeat(128)).statusCode()).isEqualTo(201);
  }

  @Test
  void passwordsRoundTripInAnyUnicodeNormalForm() {
    String email = "u-" + UUID.randomUUID() + "@example.com";
    assertThat(register(email, "N", "caf\u00e9-passwort").statusCode()).isEqualTo(201);
    assertThat(login(email, "cafe\u0301-passwort").statusCode()).as("NFD form of the same password").isEqualTo(200);
    assertThat(login(email, "caf\u00e9-passwort").statusCode()).isEqualTo(200);
  }

  // --- login ------------------------------------------------------------------------------

  @Test
  void loginAnswersAFlatTokenPair() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> response = login("  " + user.email().toUpperCase() + " ", user.password());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Json.parse(response.body());
    assertThat(fieldNames(body)).containsExactlyInAnyOrder("access_token", "refresh_token", "token_type");
    assertThat(body.get("token_type").asText()).isEqualTo("bearer");
    assertThat(server.get("/api/v1/auth/api-keys", bearer(body.get("access_token").asText())).statusCode())
        .isEqualTo(200);
  }

  @Test
  void wrongPasswordUnknownEmailAndInactiveAccountAreTheSame401() {
    TestUser user = TestUsers.register(server);
    TestUser inactive = TestUsers.register(server);
    dsl().update(USERS).set(USERS.IS_ACTIVE, false).where(USERS.ID.eq(inactive.id())).execute();

    List<HttpResponse<String>> failures = List.of(
        login(user.email(), "wrong password"),
        login("nobody-" + UUID.randomUUID() + "@example.com", user.password()),
        login(inactive.email(), inactive.password()),
        login(user.email(), "x".repeat(5_000)));

    for (HttpResponse<String> failure : failures) {
      assertThat(failure.statusCode()).isEqualTo(401);
      assertThat(failure.body()).isEqualTo("{\"detail\":\"invalid email or password\"}");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"email\":\"a@b.co\"}", "{\"password\":\"password-1\"}",
      "{\"email\":\"\",\"password\":\"\"}"})
  void loginWithMissingFieldsIs422(String body) {
    assertThat(server.postJson("/api/v1/auth/login", body).statusCode()).isEqualTo(422);
  }

  // --- protected RPCs ---------------------------------------------------------------------

  @Test
  void protectedRpcsNeedAValidAccessToken() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> anonymous = server.get("/api/v1/auth/api-keys");
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(Json.parse(anonymous.body()).get("detail").asText()).isEqualTo("authentication required");
    assertThat(server.get("/api/v1/auth/api-keys", user.authHeader()).statusCode()).isEqualTo(200);
    // other features' user RPCs are guarded by the same policy, and see the caller
    assertThat(server.get("/api/v1/credits/balance").statusCode()).isEqualTo(401);
    assertThat(server.get("/api/v1/jobs").statusCode()).isEqualTo(401);
    HttpResponse<String> balance = server.get("/api/v1/credits/balance", user.authHeader());
    assertThat(balance.statusCode()).isEqualTo(200);
    assertThat(Json.parse(balance.body()).get("user_id").asText()).isEqualTo(user.id().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer not-a-jwt",
      "Bearer  eyJhbGciOiJFZERTQSJ9.e30.sig"})
  void malformedAuthorizationIs401(String authorization) {
    HttpResponse<String> response = server.get("/api/v1/auth/api-keys", "Authorization", authorization);
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(Json.parse(response.body()).get("detail").asText()).isNotBlank();
  }

  @Test
  void twoCredentialsAre401() {
    TestUser user = TestUsers.register(server);
    assertThat(server.get("/api/v1/auth/api-keys", "Authorization", "Bearer " + user.accessToken(),
        "Authorization", "Bearer " + user.accessToken()).statusCode()).isEqualTo(401);
    String key = createApiKey(user, "ci").get("key").asText();
    assertThat(server.get("/api/v1/auth/api-keys", "Authorization", "Bearer " + user.accessToken(),
        "X-API-Key", key).statusCode()).isEqualTo(401);
  }

  @Test
  void oversizedAuthorizationHeaderIsRefusedBeforeParsing() {
    HttpResponse<String> response = server.get("/api/v1/auth/api-keys",
        "Authorization", "Bearer " + "a".repeat(100 * 1024));
    assertThat(response.statusCode()).isEqualTo(431);
    assertThat(Json.parse(response.body()).get("detail").asText()).isNotBlank();
  }

  // --- refresh ----------------------------------------------------------------------------

  @Test
  void refreshRotatesAndTheUsedRefreshTokenStopsWorking() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> first = refresh(user.refreshToken());
    assertThat(first.statusCode()).isEqualTo(200);
    JsonNode pair = Json.parse(first.body());
    assertThat(fieldNames(pair)).containsExactlyInAnyOrder("access_token", "refresh_token", "token_type");
    assertThat(pair.get("refresh_token").asText()).isNotEqualTo(user.refreshToken());
    assertThat(server.get("/api/v1/auth/api-keys", bearer(pair.get("access_token").asText())).statusCode())
        .isEqualTo(200);

    HttpResponse<String> reuse = refresh(user.refreshToken());
    assertThat(reuse.statusCode()).isEqualTo(401);
    assertThat(Json.parse(reuse.body()).get("detail").asText()).isEqualTo("token has been revoked");
  }

  @Test
  void reusingARotatedRefreshTokenRevokesTheWholeFamily() {
    TestUser user = TestUsers.register(server);
    JsonNode second = Json.parse(refresh(user.refreshToken()).body());
    JsonNode third = Json.parse(refresh(second.get("refresh_token").asText()).body());

    assertThat(refresh(user.refreshToken()).statusCode()).as("replay of a rotated token").isEqualTo(401);

    assertThat(refresh(third.get("refresh_token").asText()).statusCode())
        .as("the newest refresh token of the family").isEqualTo(401);
    for (String access : List.of(user.accessToken(), second.get("access_token").asText(),
        third.get("access_token").asText())) {
      assertThat(server.get("/api/v1/auth/api-keys", bearer(access)).statusCode())
          .as("every access token descended from that login").isEqualTo(401);
    }
    assertThat(dsl().select(REFRESH_FAMILIES.REVOKED_REASON).from(REFRESH_FAMILIES)
        .join(REFRESH_TOKENS).on(REFRESH_TOKENS.FAMILY_ID.eq(REFRESH_FAMILIES.ID))
        .where(REFRESH_FAMILIES.USER_ID.eq(user.id())).limit(1).fetchOne().value1()).isEqualTo("reuse_detected");
    // another session of the same user is untouched
    assertThat(login(user.email(), user.password()).statusCode()).isEqualTo(200);
  }

  @Test
  void anAccessTokenIsNotARefreshTokenAndViceVersa() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> refreshWithAccess = refresh(user.accessToken());
    assertThat(refreshWithAccess.statusCode()).isEqualTo(401);
    assertThat(Json.parse(refreshWithAccess.body()).get("detail").asText()).isEqualTo("invalid or expired token");

    assertThat(server.get("/api/v1/auth/api-keys", bearer(user.refreshToken())).statusCode()).isEqualTo(401);
    assertThat(refresh("").statusCode()).isEqualTo(401);
    assertThat(refresh("garbage").statusCode()).isEqualTo(401);
  }

  // --- logout -----------------------------------------------------------------------------

  @Test
  void logoutRevokesTheAccessTokenAndItsRefreshFamily() {
    TestUser user = TestUsers.register(server);
    TestUser otherSession = user.withTokens(
        Json.parse(login(user.email(), user.password()).body()).get("access_token").asText(), null);

    HttpResponse<String> response = server.postJson("/api/v1/auth/logout", "", user.authHeader());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Json.parse(response.body())).isEqualTo(Json.parse("{\"message\":\"Logged out successfully\"}"));

    HttpResponse<String> afterwards = server.get("/api/v1/auth/api-keys", user.authHeader());
    assertThat(afterwards.statusCode()).isEqualTo(401);
    assertThat(Json.parse(afterwards.body()).get("detail").asText()).isEqualTo("token has been revoked");
    assertThat(refresh(user.refreshToken()).statusCode()).isEqualTo(401);
    assertThat(server.postJson("/api/v1/auth/logout", "", user.authHeader()).statusCode())
        .as("a second logout with the revoked token").isEqualTo(401);
    assertThat(server.get("/api/v1/auth/api-keys", otherSession.authHeader()).statusCode())
        .as("the user's other session stays").isEqualTo(200);
  }

  @Test
  void logoutWithoutBodyOrWithoutCredentials() {
    TestUser user = TestUsers.register(server);
    assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/logout"))
        .header("Authorization", "Bearer " + user.accessToken())
        .POST(HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);
    assertThat(server.postJson("/api/v1/auth/logout", "").statusCode()).isEqualTo(401);
  }

  // --- API keys ---------------------------------------------------------------------------

  @Test
  void apiKeysAreShownOnceListedWithoutSecretAndAuthenticateAsTheirOwner() {
    TestUser user = TestUsers.register(server);
    HttpResponse<String> created = server.postJson("/api/v1/auth/api-keys", "{\"name\":\"ci-pipeline\"}",
        user.authHeader());
    assertThat(created.statusCode()).isEqualTo(201);
    JsonNode body = Json.parse(created.body());
    String key = body.get("key").asText();
    assertThat(key).startsWith("rt_live_").hasSizeGreaterThan(40);
    JsonNode apiKey = body.get("api_key");
    assertThat(apiKey.get("name").asText()).isEqualTo("ci-pipeline");
    assertThat(key).startsWith(apiKey.get("prefix").asText());
    assertThat(apiKey.get("prefix").asText()).startsWith("rt_live_").hasSizeLessThan(20);
    assertThat(apiKey.get("created_at").asText()).endsWith("Z");
    assertThat(dsl().fetchOne(API_KEYS, API_KEYS.ID.eq(UUID.fromString(apiKey.get("id").asText()))).getKeyHash())
        .as("stored hashed").isNotEqualTo(key).hasSize(64);

    JsonNode second = createApiKey(user, "laptop");
    HttpResponse<String> listed = server.get("/api/v1/auth/api-keys", "X-API-Key", key);
    assertThat(listed.statusCode()).as("the key authenticates as its owner").isEqualTo(200);
    JsonNode keys = Json.parse(listed.body()).get("api_keys");
    assertThat(keys).hasSize(2);
    assertThat(keys.get(0).get("id").asText()).as("newest first").isEqualTo(second.get("api_key").get("id").asText());
    assertThat(listed.body()).doesNotContain(key).doesNotContain(second.get("key").asText());
    assertThat(keys.get(1).get("last_used_at").asText()).as("use is recorded").endsWith("Z");
    HttpResponse<String> balance = server.get("/api/v1/credits/balance", "X-API-Key", key);
    assertThat(balance.statusCode()).as("passes authentication on other user RPCs").isEqualTo(200);
    assertThat(Json.parse(balance.body()).get("user_id").asText()).as("as its owner").isEqualTo(user.id().toString());
  }

  @Test
  void revokingAKeyMakesIt401AndOnlyItsOwnerCanRevoke() {
    TestUser owner = TestUsers.register(server);
    TestUser stranger = TestUsers.register(server);
    JsonNode created = createApiKey(owner, "to-revoke");
    String id = created.get("api_key").get("id").asText();
    String key = created.get("key").asText();

    HttpResponse<String> foreign = server.delete("/api/v1/auth/api-keys/" + id, stranger.authHeader());
    HttpResponse<String> missing = server.delete("/api/v1/auth/api-keys/" + UUID.randomUUID(), stranger.authHeader());
    assertThat(foreign.statusCode()).isEqualTo(404);
    assertThat(foreign.body()).as("a foreign key answers exactly like a missing one").isEqualTo(missing.body());
    assertThat(server.delete("/api/v1/auth/api-keys/not-a-uuid", owner.authHeader()).statusCode()).isEqualTo(404);
    assertThat(server.get("/api/v1/auth/api-keys", "X-API-Key", key).statusCode()).as("still works").isEqualTo(200);

    HttpResponse<String> revoked = server.delete("/api/v1/auth/api-keys/" + id, owner.authHeader());
    assertThat(revoked.statusCode()).isEqualTo(200);
    String revokedAt = Json.parse(revoked.body()).get("api_key").get("revoked_at").asText();
    assertThat(revokedAt).endsWith("Z");

    HttpResponse<String> withRevokedKey = server.get("/api/v1/auth/api-keys", "X-API-Key", key);
    assertThat(withRevokedKey.statusCode()).isEqualTo(401);
    assertThat(Json.parse(withRevokedKey.body()).get("detail").asText()).isEqualTo("API key has been revoked");

    HttpResponse<String> again = server.delete("/api/v1/auth/api-keys/" + id, owner.authHeader());
    assertThat(again.statusCode()).as("revoking twice is a no-op").isEqualTo(200);
    assertThat(Json.parse(again.body()).get("api_key").get("revoked_at").asText()).isEqualTo(revokedAt);
    assertThat(Json.parse(server.get("/api/v1/auth/api-keys", stranger.authHeader()).body()).get("api_keys"))
        .as("strangers never see other users' keys").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rt_live_", "rt_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sk_live_x", "",
      "rt_live_' OR 1=1 --"})
  void unknownOrMalformedApiKeysAre401(String key) {
    HttpResponse<String> response = server.get("/api/v1/auth/api-keys", "X-API-Key", key);
    assertThat(response.statusCode()).isEqualTo(401);
  }

  @Test
  void apiKeysCannotMintKeysNorLogOut() {
    TestUser user = TestUsers.register(server);
    String key = createApiKey(user, "automation").get("key").asText();
    HttpResponse<String> mint = server.postJson("/api/v1/auth/api-keys", "{\"name\":\"x\"}", "X-API-Key", key);
    assertThat(mint.statusCode()).isEqualTo(403);
    assertThat(server.postJson("/api/v1/auth/logout", "", "X-API-Key", key).statusCode()).isEqualTo(403);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"name\":\"\"}", "{\"name\":\"   \"}", "{}"})
  void apiKeyNamesMustNotBeEmpty(String body) {
    TestUser user = TestUsers.register(server);
    int before = dsl().fetchCount(API_KEYS);
    assertThat(server.postJson("/api/v1/auth/api-keys", body, user.authHeader()).statusCode()).isEqualTo(422);
    assertThat(dsl().fetchCount(API_KEYS)).isEqualTo(before);
  }

  @Test
  void apiKeyNamesAreAtMost100Characters() {
    TestUser user = TestUsers.register(server);
    assertThat(server.postJson("/api/v1/auth/api-keys", "{\"name\":\"" + "n".repeat(101) + "\"}", user.authHeader())
        .statusCode()).isEqualTo(422);
    assertThat(server.postJson("/api/v1/auth/api-keys", "{\"name\":\"" + "n".repeat(100) + "\"}", user.authHeader())
        .statusCode()).isEqualTo(201);
  }

  // --- helpers ----------------------------------------------------------------------------

  static HttpResponse<String> register(String email, String name, String password) {
    return server.postJson("/api/v1/auth/register", "{\"email\":" + quote(email) + ",\"name\":" + quote(name)
        + ",\"password\":" + quote(password) + "}");
  }

  static HttpResponse<String> login(String email, String password) {
    return server.postJson("/api/v1/auth/login", "{\"email\":" + quote(email) + ",\"password\":" + quote(password) + "}");
  }

  static HttpResponse<String> refresh(String refreshToken) {
    return server.postJson("/api/v1/auth/refresh", "{\"refresh_token\":" + quote(refreshToken) + "}");
  }

  private static JsonNode createApiKey(TestUser user, String name) {
    HttpResponse<String> response = server.postJson("/api/v1/auth/api-keys", "{\"name\":" + quote(name) + "}",
        user.authHeader());
    assertThat(response.statusCode()).isEqualTo(201);
    return Json.parse(response.body());
  }

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  private static String quote(String value) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(value).toString();
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
