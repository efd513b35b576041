package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.SIWE_NONCES;
import static com.rendertrust.server.db.Tables.USERS;
import static com.rendertrust.server.db.Tables.WALLETS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestChain;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import com.rendertrust.server.testing.TestWallets;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/** Sign-In with Ethereum and wallet linking over REST, against real PostgreSQL, Redis and anvil. */
class WalletSignInTest {

  private static TestChain chain;
  private static TestServer server;

  @BeforeAll
  static void start() {
    chain = TestChain.start();
    server = TestServer.start(TestServer.freshConfig().withChain(ChainConfig.disabled().withRpcUrl(chain.rpcUrl())));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (chain != null) {
      chain.close();
    }
  }

  @Test
  void anAnvilKeySignsInOnceCreatingItsAccountAndTheReplayIsRefused() {
    Credentials key = Credentials.create(TestWallets.ANVIL_KEY_2);
    JsonNode issued = TestWallets.nonce(server, key.getAddress().toUpperCase().replace("0X", "0x"));
    String message = issued.get("message").asText();
    assertThat(message).startsWith("localhost:" + server.controlPlane().httpPort()
        + " wants you to sign in with your Ethereum account:\n" + Keys.toChecksumAddress(key.getAddress()) + "\n")
        .contains("\nURI: http://localhost:" + server.controlPlane().httpPort() + "\n", "\nVersion: 1\n",
            "\nChain ID: 31337\n", "\nNonce: " + issued.get("nonce").asText() + "\n", "\nIssued At: ",
            "\nExpiration Time: " + issued.get("expires_at").asText());
    String body = TestWallets.signedBody(message, TestWallets.personalSign(key, message));

    HttpResponse<String> first = server.postJson("/api/v1/auth/siwe/verify", body);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    JsonNode signedIn = Json.parse(first.body());
    assertThat(signedIn.get("created").asBoolean()).isTrue();
    String access = signedIn.get("tokens").get("access_token").asText();
    HttpResponse<String> wallets = server.get("/api/v1/auth/wallets", "Authorization", "Bearer " + access);
    assertThat(wallets.statusCode()).isEqualTo(200);
    assertThat(Json.parse(wallets.body()).get("wallets").get(0).get("address").asText())
        .isEqualTo(Keys.toChecksumAddress(key.getAddress()));

    HttpResponse<String> replay = server.postJson("/api/v1/auth/siwe/verify", body);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(Json.parse(replay.body()).get("detail").asText()).contains("nonce already used");

    // a new message signs in the same account, not a second one
    HttpResponse<String> again = server.postJson("/api/v1/auth/siwe/verify", TestWallets.signIn(server, key));
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(Json.parse(again.body()).get("created").asBoolean()).isFalse();
    assertThat(Json.parse(again.body()).get("user").get("id").asText())
        .isEqualTo(signedIn.get("user").get("id").asText());
    assertThat(dsl().fetchCount(WALLETS, WALLETS.ADDRESS.eq(key.getAddress().toLowerCase()))).isEqualTo(1);
  }

  @Test
  void aSignatureOfAnotherKeyIs401AndLeavesTheNonceUnused() throws Exception {
    Credentials owner = Credentials.create(Keys.createEcKeyPair());
    Credentials other = Credentials.create(Keys.createEcKeyPair());
    String message = TestWallets.nonce(server, owner.getAddress()).get("message").asText();

    HttpResponse<String> forged = server.postJson("/api/v1/auth/siwe/verify",
        TestWallets.signedBody(message, TestWallets.personalSign(other, message)));
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(Json.parse(forged.body()).get("detail").asText()).contains("not by the message's address");
    assertThat(server.postJson("/api/v1/auth/siwe/verify",
        TestWallets.signedBody(message, TestWallets.personalSign(owner, message))).statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"domain", "uri", "chain", "nonce", "text"})
  void anAlteredMessageIs401EvenWhenSignedByItsWallet(String field) throws Exception {
    Credentials key = Credentials.create(Keys.createEcKeyPair());
    String message = TestWallets.nonce(server, key.getAddress()).get("message").asText();
    String altered = switch (field) {
      case "domain" -> message.replaceFirst("^localhost:\\d+", "evil.example");
      case "uri" -> message.replaceFirst("URI: http://localhost:\\d+", "URI: https://evil.example");
      case "chain" -> message.replace("Chain ID: 31337", "Chain ID: 1");
      case "nonce" -> message.replaceFirst("Nonce: \\w+", "Nonce: " + "A".repeat(24));
      default -> message.replaceFirst("Issued At: \\d{4}", "Issued At: 2025");
    };
    assertThat(altered).isNotEqualTo(message);
    HttpResponse<String> response = server.postJson("/api/v1/auth/siwe/verify",
        TestWallets.signedBody(altered, TestWallets.personalSign(key, altered)));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
    assertThat(dsl().fetchCount(WALLETS, WALLETS.ADDRESS.eq(key.getAddress().toLowerCase()))).isZero();
  }

  @Test
  void anExpiredMessageIs401() throws Exception {
    Credentials key = Credentials.create(Keys.createEcKeyPair());
    JsonNode issued = TestWallets.nonce(server, key.getAddress());
    String message = issued.get("message").asText();
    // the server's record of the message says it expired (as if ten minutes had passed)
    dsl().update(SIWE_NONCES).set(SIWE_NONCES.EXPIRES_AT, OffsetDateTime.now().minusSeconds(1))
        .set(SIWE_NONCES.ISSUED_AT, OffsetDateTime.now().minusMinutes(11))
        .where(SIWE_NONCES.NONCE.eq(issued.get("nonce").asText())).execute();

    HttpResponse<String> response = server.postJson("/api/v1/auth/siwe/verify",
        TestWallets.signedBody(message, TestWallets.personalSign(key, message)));
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(Json.parse(response.body()).get("detail").asText()).contains("expired");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0x123", "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267x", "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"})
  void aMalformedAddressIs422(String address) {
    int before = dsl().fetchCount(SIWE_NONCES);
    HttpResponse<String> response = server.postJson("/api/v1/auth/siwe/nonce",
        "{\"address\":\"" + address + "\"}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    assertThat(dsl().fetchCount(SIWE_NONCES)).isEqualTo(before);
  }

  @Test
  void aSignatureThatIsNotOneIs401() throws Exception {
    Credentials key = Credentials.create(Keys.createEcKeyPair());
    String message = TestWallets.nonce(server, key.getAddress()).get("message").asText();
    for (String signature : new String[] {"0x1234", "0x" + "00".repeat(65), "0x" + "ff".repeat(64) + "1b"}) {
      assertThat(server.postJson("/api/v1/auth/siwe/verify", TestWallets.signedBody(message, signature)).statusCode())
          .as(signature).isEqualTo(401);
    }
  }

  @Test
  void aSignedInUserLinksAWalletThatThenSignsInToTheSameAccountAndNoOtherAccountCanLinkIt() {
    TestUser ada = TestUsers.register(server);
    TestUser eve = TestUsers.register(server);
    Credentials key = Credentials.create(TestWallets.ANVIL_KEY_3);

    HttpResponse<String> linked = server.postJson("/api/v1/auth/wallets", TestWallets.signIn(server, key),
        ada.authHeader());
    assertThat(linked.statusCode()).as(linked.body()).isEqualTo(201);
    assertThat(Json.parse(linked.body()).get("wallet").get("address").asText())
        .isEqualTo(Keys.toChecksumAddress(key.getAddress()));

    HttpResponse<String> stolen = server.postJson("/api/v1/auth/wallets", TestWallets.signIn(server, key),
        eve.authHeader());
    assertThat(stolen.statusCode()).isEqualTo(409);
    assertThat(Json.parse(stolen.body()).get("detail").asText()).isEqualTo("wallet is linked to another account");
    assertThat(Json.parse(server.get("/api/v1/auth/wallets", eve.authHeader()).body()).get("wallets")).isEmpty();

    HttpResponse<String> signedIn = server.postJson("/api/v1/auth/siwe/verify", TestWallets.signIn(server, key));
    assertThat(signedIn.statusCode()).isEqualTo(200);
    assertThat(Json.parse(signedIn.body()).get("user").get("id").asText()).isEqualTo(ada.id().toString());
    assertThat(Json.parse(signedIn.body()).get("created").asBoolean()).isFalse();

    // linking needs a signed message too, and a session, not nothing
    assertThat(server.postJson("/api/v1/auth/wallets", TestWallets.signIn(server, key)).statusCode()).isEqualTo(401);
  }

  @Test
  void aWalletAccountHasNoUsableEmailOrPassword() {
    Credentials key = Credentials.create(TestWallets.ANVIL_KEY_2.replace("5de4", "6de4"));
    HttpResponse<String> response = server.postJson("/api/v1/auth/siwe/verify", TestWallets.signIn(server, key));
    JsonNode user = Json.parse(response.body()).get("user");
    assertThat(user.get("email").asText()).isEqualTo(user.get("id").asText() + "@wallet.invalid");
    assertThat(dsl().fetchOne(USERS, USERS.ID.eq(UUID.fromString(user.get("id").asText()))).getPasswordHash())
        .startsWith("$argon2id$");
  }

  private static DSLContext dsl() {
    return server.controlPlane().database().dsl();
  }
}
