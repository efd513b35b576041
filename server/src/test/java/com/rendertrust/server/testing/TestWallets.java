package com.rendertrust.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/** Wallet sign-in from the wallet's side: ask for a message over REST, sign it like {@code personal_sign}. */
public final class TestWallets {

  /** anvil account #2 (public dev mnemonic). */
  public static final String ANVIL_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
  /** anvil account #3. */
  public static final String ANVIL_KEY_3 = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

  private TestWallets() {
  }

  /** The EIP-191 signature of {@code message}: 0x, r, s, v (27/28). */
  public static String personalSign(Credentials key, String message) {
    Sign.SignatureData signature = Sign.signPrefixedMessage(message.getBytes(StandardCharsets.UTF_8),
        key.getEcKeyPair());
    byte[] bytes = new byte[65];
    System.arraycopy(signature.getR(), 0, bytes, 0, 32);
    System.arraycopy(signature.getS(), 0, bytes, 32, 32);
    bytes[64] = signature.getV()[0];
    return Numeric.toHexString(bytes);
  }

  /** POST /api/v1/auth/siwe/nonce for {@code address}: the response body (nonce, message, expires_at). */
  public static JsonNode nonce(TestServer server, String address) {
    HttpResponse<String> response = server.postJson("/api/v1/auth/siwe/nonce",
        JsonNodeFactory.instance.objectNode().put("address", address).toString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("nonce: " + response.statusCode() + " " + response.body());
    }
    return Json.parse(response.body());
  }

  /** The JSON body {@code {message, signature}}. */
  public static String signedBody(String message, String signature) {
    return JsonNodeFactory.instance.objectNode().put("message", message).put("signature", signature).toString();
  }

  /** A fresh message for {@code key}'s address, signed by {@code key}: the body for verify or link. */
  public static String signIn(TestServer server, Credentials key) {
    String message = nonce(server, key.getAddress()).get("message").asText();
    return signedBody(message, personalSign(key, message));
  }
}
