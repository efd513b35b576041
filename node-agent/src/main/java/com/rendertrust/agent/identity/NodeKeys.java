package com.rendertrust.agent.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The node's Ed25519 identity: {@code node_key.pem} (PKCS#8 PEM, mode 0600) and
 * {@code node_key.pub.pem} (X.509 SubjectPublicKeyInfo PEM, the form RegisterNode takes). The
 * key pair is the node's identity: re-registering with it returns the same node id.
 */
public final class NodeKeys {

  public static final String PRIVATE_KEY_FILE = "node_key.pem";
  public static final String PUBLIC_KEY_FILE = "node_key.pub.pem";
  private static final String ALGORITHM = "Ed25519";

  private final Path configDir;

  public NodeKeys(Path configDir) {
    this.configDir = configDir;
  }

  public Path privateKeyFile() {
    return configDir.resolve(PRIVATE_KEY_FILE);
  }

  public Path publicKeyFile() {
    return configDir.resolve(PUBLIC_KEY_FILE);
  }

  public boolean exist() {
    return Files.exists(privateKeyFile());
  }

  /** The stored key pair, or a new one written to disk when there is none yet. */
  public KeyPair loadOrCreate() throws IOException {
    if (exist()) {
      return load();
    }
    KeyPair pair;
    try {
      pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no Ed25519 key generator", e);
    }
    SecureFiles.ensurePrivateDirectory(configDir);
    SecureFiles.writeOwnerOnly(privateKeyFile(), pem("PRIVATE KEY", pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
    SecureFiles.writePublic(publicKeyFile(), publicKeyPem(pair.getPublic()).getBytes(StandardCharsets.US_ASCII));
    return pair;
  }

  public KeyPair load() throws IOException {
    if (!Files.exists(publicKeyFile())) {
      throw new IOException(publicKeyFile() + " is missing: restore it from a backup, or delete " + privateKeyFile()
          + " to create a new identity (the node then registers as a new node)");
    }
    try {
      KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
      PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(
          pemBody(Files.readString(privateKeyFile(), StandardCharsets.US_ASCII), "PRIVATE KEY", privateKeyFile())));
      PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(
          pemBody(Files.readString(publicKeyFile(), StandardCharsets.US_ASCII), "PUBLIC KEY", publicKeyFile())));
      KeyPair pair = new KeyPair(publicKey, privateKey);
      if (!matches(pair)) {
        throw new IOException(privateKeyFile() + " and " + publicKeyFile() + " are not one key pair");
      }
      return pair;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("cannot read the node key in " + configDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The proof RegisterNode/ProveNode/Hello expect: an Ed25519 signature over the ASCII bytes of
   * the 64-hex challenge string (not the decoded 32 bytes), as 128 lowercase hex characters.
   */
  public static String signChallenge(PrivateKey key, String challenge) {
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(key);
      signature.update(challenge.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  public static String publicKeyPem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  /** {@code SHA256:<hex>} of the public key's DER encoding: what {@code status} shows to identify the key. */
  public static String fingerprint(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return "SHA256:" + HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean matches(KeyPair pair) {
    try {
      byte[] probe = "rendertrust-key-check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(ALGORITHM);
      signer.initSign(pair.getPrivate());
      signer.update(probe);
      byte[] signed = signer.sign();
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(pair.getPublic());
      verifier.update(probe);
      return verifier.verify(signed);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static byte[] pemBody(String pem, String type, Path file) throws IOException {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new IOException(file + " is not a " + type + " PEM file");
    }
    return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
  }
}
