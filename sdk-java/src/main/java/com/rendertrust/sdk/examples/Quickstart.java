package com.rendertrust.sdk.examples;

import com.rendertrust.sdk.Job;
import com.rendertrust.sdk.JobRequest;
import com.rendertrust.sdk.LedgerEntry;
import com.rendertrust.sdk.LedgerProof;
import com.rendertrust.sdk.NoHealthyNodeException;
import com.rendertrust.sdk.NotAnchoredException;
import com.rendertrust.sdk.RenderTrustClient;
import com.rendertrust.sdk.Verification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The SDK example of docs/sdk-java.md as a program: a new creator submits an {@code echo} job, waits for it,
 * downloads the result and, when the account has ledger entries, proves and verifies the newest
 * one. Run it against a server with a node that offers {@code echo}:
 * {@code ./rendertrust sdk-example [http://localhost:8000]}. Exit code 0 only when the job completed
 * and its result is the message sent.
 */
public final class Quickstart {

  private Quickstart() {
  }

  public static void main(String[] args) throws Exception {
    String server = args.length > 0 ? args[0] : "http://localhost:8000";
    String message = "hello from the Java SDK";
    try (RenderTrustClient client = RenderTrustClient.connect(server)) {
      client.register("quickstart-" + UUID.randomUUID() + "@example.com", "Quickstart", "correct horse battery staple");

      Job job = client.submitJob(JobRequest.of("echo", Map.of("message", message)));
      System.out.println("submitted job " + job.id() + ": " + job.status());
      Job done = client.awaitCompletion(job.id(), Duration.ofMinutes(2));
      System.out.println("job " + done.id() + ": " + done.status() + " on node " + done.nodeId());
      if (!"COMPLETED".equals(done.status())) {
        System.err.println("the job did not complete: " + done.errorMessage());
        System.exit(1);
      }

      Path result = client.downloadResult(done.id(), Files.createTempFile("quickstart-", ".txt"));
      String text = Files.readString(result);
      System.out.println("result (" + result + "): " + text);
      System.out.println("balance: " + client.balance().balance());

      List<LedgerEntry> history = client.history(1, 0).items();
      if (!history.isEmpty()) {
        proveNewestEntry(client, history.getFirst());
      }
      if (!message.equals(text)) {
        System.err.println("the result differs from the message sent");
        System.exit(1);
      }
    } catch (NoHealthyNodeException e) {
      System.err.println("no node offers echo (" + e.getMessage() + "): start one with"
          + " ./rendertrust agent register ... && ./rendertrust agent run");
      System.exit(2);
    }
  }

  private static void proveNewestEntry(RenderTrustClient client, LedgerEntry entry) {
    try {
      LedgerProof proof = client.awaitProof(entry.id(), Duration.ofMinutes(2));
      Verification onChain = client.verify(entry.id());
      System.out.println("entry " + entry.id() + ": proof checks locally " + proof.verifiesLocally()
          + ", on chain " + onChain.verified() + " (tx " + onChain.txHash() + ")");
    } catch (NotAnchoredException e) {
      System.out.println("entry " + entry.id() + " is not anchored yet: " + e.getMessage());
    }
  }
}
