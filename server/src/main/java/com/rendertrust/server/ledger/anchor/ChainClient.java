package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.platform.telemetry.Telemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import okhttp3.OkHttpClient;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * The anchoring account's view of an EVM chain over JSON-RPC (web3j): sign locally, broadcast
 * raw transactions, read receipts, blocks and the anchor contract. Signing never touches the
 * network, so a transaction's hash is known (and stored) before it is sent. Every call is bounded
 * by the configured timeout; transport failures surface as {@link ChainUnavailableException},
 * node-side errors as {@link ChainRpcException}.
 */
public final class ChainClient implements AutoCloseable {

  /** Gas for {@code anchor}: it uses about 47k (one fresh storage slot and a log); headroom for other chains' pricing. */
  static final BigInteger ANCHOR_GAS_LIMIT = BigInteger.valueOf(120_000);
  /** Gas for deploying the contract (about 190k on anvil). */
  static final BigInteger DEPLOY_GAS_LIMIT = BigInteger.valueOf(600_000);

  /** A transaction signed by the anchoring key: {@code raw} is exactly what gets broadcast, {@code hash} its id. */
  public record SignedTransaction(String hash, long nonce, BigInteger gasPrice, byte[] raw) {
  }

  /** Where a transaction was mined and whether it succeeded. */
  public record Receipt(String txHash, long blockNumber, String blockHash, boolean succeeded,
      Optional<String> contractAddress) {
  }

  /** One {@code Anchored(batchId, root)} event on the canonical chain. */
  public record AnchoredLog(long batchId, byte[] root, String txHash, long blockNumber, String blockHash) {
  }

  /** How the node took a broadcast. */
  public enum BroadcastOutcome {
    ACCEPTED,
    /** The node already has this exact transaction (a rebroadcast, or our earlier send got through). */
    ALREADY_KNOWN,
    /** The nonce is already used on chain: by this very transaction, or by another one. */
    NONCE_TOO_LOW,
    REJECTED
  }

  public record Broadcast(BroadcastOutcome outcome, String message) {
  }

  private final Web3j web3;
  private final Credentials credentials;
  private final ScheduledExecutorService web3Executor;
  private volatile Long chainId;
  /** Spans of every JSON-RPC call ({@code chain <method>}); a no-op until {@link #traced}. */
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer(Telemetry.INSTRUMENTATION);

  private ChainClient(Web3j web3, Credentials credentials, ScheduledExecutorService web3Executor) {
    this.web3 = web3;
    this.credentials = credentials;
    this.web3Executor = web3Executor;
  }

  public static ChainClient connect(String rpcUrl, String privateKeyHex, Duration timeout) {
    OkHttpClient http = new OkHttpClient.Builder()
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .writeTimeout(timeout)
        .callTimeout(timeout)
        .build();
    // web3j's default executor is a process-wide singleton that shutdown() would kill for every
    // client; give each client its own.
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("rt-web3j").factory());
    Web3j web3 = Web3j.build(new HttpService(rpcUrl, http), 1_000, executor);
    return new ChainClient(web3, Credentials.create(privateKeyHex), executor);
  }

  /** The anchoring account (derived from the key). */
  public String senderAddress() {
    return credentials.getAddress();
  }

  public long chainId() {
    Long known = chainId;
    if (known == null) {
      known = call("eth_chainId", web3.ethChainId()).getChainId().longValueExact();
      chainId = known;
    }
    return known;
  }

  /** Identifies the chain beyond its id: a reset dev chain keeps id 31337 but gets a new genesis. */
  public String genesisHash() {
    return blockHashAt(0).orElseThrow(() -> new ChainRpcException("eth_getBlockByNumber", "no genesis block"));
  }

  /** Asked afresh on every call: the endpoint may have been reset since the last one. */
  public ChainIdentity identity() {
    return new ChainIdentity(chainId(), genesisHash());
  }

  public long blockNumber() {
    return call("eth_blockNumber", web3.ethBlockNumber()).getBlockNumber().longValueExact();
  }

  public Optional<String> blockHashAt(long number) {
    EthBlock.Block block = call("eth_getBlockByNumber",
        web3.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false)).getBlock();
    return Optional.ofNullable(block).map(EthBlock.Block::getHash);
  }

  public BigInteger gasPrice() {
    return call("eth_gasPrice", web3.ethGasPrice()).getGasPrice();
  }

  /** The account's next nonce counting transactions in the node's mempool ({@code pending}) or only mined ones. */
  public long nonce(boolean includePending) {
    return call("eth_getTransactionCount", web3.ethGetTransactionCount(senderAddress(),
        includePending ? DefaultBlockParameterName.PENDING : DefaultBlockParameterName.LATEST))
        .getTransactionCount().longValueExact();
  }

  public boolean hasCode(String address) {
    String code = call("eth_getCode", web3.ethGetCode(address, DefaultBlockParameterName.LATEST)).getCode();
    return code != null && !code.equals("0x") && !code.isBlank();
  }

  public Optional<Receipt> receipt(String txHash) {
    Optional<TransactionReceipt> receipt =
        call("eth_getTransactionReceipt", web3.ethGetTransactionReceipt(txHash)).getTransactionReceipt();
    return receipt.map(r -> new Receipt(r.getTransactionHash(), r.getBlockNumber().longValueExact(), r.getBlockHash(),
        r.isStatusOK(), Optional.ofNullable(r.getContractAddress())));
  }

  /** Whether the node knows the transaction at all (pending in its mempool or mined). */
  public boolean isKnown(String txHash) {
    return call("eth_getTransactionByHash", web3.ethGetTransactionByHash(txHash)).getTransaction().isPresent();
  }

  /** The contract's root for a batch at the latest block; empty when it holds none (zero). */
  public Optional<byte[]> rootOf(String contract, long batchId) {
    EthCall result = call("eth_call", web3.ethCall(
        Transaction.createEthCallTransaction(senderAddress(), contract, AnchorContract.rootOfCall(batchId)),
        DefaultBlockParameterName.LATEST));
    if (result.isReverted()) {
      throw new ChainRpcException("eth_call rootOf", "reverted: " + result.getRevertReason());
    }
    String value = result.getValue();
    if (value == null || value.equals("0x")) {
      throw new ChainRpcException("eth_call rootOf", "no return data: is " + contract + " the anchor contract?");
    }
    byte[] root = AnchorContract.decodeRoot(value);
    return AnchorContract.isZero(root) ? Optional.empty() : Optional.of(root);
  }

  /**
   * Runs {@code anchor(batchId, root)} as a call (nothing is sent): the revert reason if it would
   * revert (not the owner, already anchored, zero root), so a doomed transaction never burns gas.
   */
  public Optional<String> anchorWouldRevert(String contract, long batchId, byte[] root) {
    EthCall result;
    try {
      result = web3.ethCall(Transaction.createEthCallTransaction(senderAddress(), contract,
          AnchorContract.anchorCall(batchId, root)), DefaultBlockParameterName.PENDING).send();
    } catch (IOException | RuntimeException e) {
      throw new ChainUnavailableException("eth_call anchor: " + e.getMessage(), e);
    }
    if (result.hasError()) {
      String data = result.getError().getData();
      return Optional.of(result.getError().getMessage() + (data == null ? "" : " " + data));
    }
    return result.isReverted() ? Optional.of(String.valueOf(result.getRevertReason())) : Optional.empty();
  }

  /** Every {@code Anchored} event of the contract for this batch id on the canonical chain. */
  public List<AnchoredLog> anchoredLogs(String contract, long batchId) {
    EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contract)
        .addSingleTopic(AnchorContract.anchoredTopic())
        .addSingleTopic(AnchorContract.batchIdTopic(batchId));
    EthLog logs = call("eth_getLogs", web3.ethGetLogs(filter));
    return logs.getLogs().stream()
        .map(result -> (Log) result.get())
        .filter(log -> !log.isRemoved())
        .map(log -> new AnchoredLog(batchId, AnchorContract.decodeRoot(log.getData()), log.getTransactionHash(),
            log.getBlockNumber().longValueExact(), log.getBlockHash()))
        .toList();
  }

  /** One log of {@link #logs}: where it is, its topics (topic0 first) and data. */
  public record RawLog(String txHash, long logIndex, long blockNumber, String blockHash, List<String> topics,
      String data) {
  }

  /** Every log of {@code contract} with {@code topic0} in blocks {@code from..to} (inclusive), canonical ones only. */
  public List<RawLog> logs(String contract, String topic0, long from, long to) {
    EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
        DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), contract).addSingleTopic(topic0);
    EthLog logs = call("eth_getLogs", web3.ethGetLogs(filter));
    return logs.getLogs().stream()
        .map(result -> (Log) result.get())
        .filter(log -> !log.isRemoved())
        .map(log -> new RawLog(log.getTransactionHash(), log.getLogIndex().longValueExact(),
            log.getBlockNumber().longValueExact(), log.getBlockHash(), List.copyOf(log.getTopics()), log.getData()))
        .toList();
  }

  /** {@code eth_call} of {@code data} on {@code contract} at the latest block: the return data, hex. */
  public String callContract(String contract, String data) {
    EthCall result = call("eth_call", web3.ethCall(
        Transaction.createEthCallTransaction(senderAddress(), contract, data), DefaultBlockParameterName.LATEST));
    if (result.isReverted()) {
      throw new ChainRpcException("eth_call", "reverted: " + result.getRevertReason());
    }
    return result.getValue();
  }

  /** The dev chain's unlocked accounts ({@code eth_accounts}; anvil's ten funded defaults). */
  public List<String> accounts() {
    return call("eth_accounts", web3.ethAccounts()).getAccounts();
  }

  /** A call of {@code contract} with {@code data}, signed by this client's key. */
  public SignedTransaction signCall(String contract, long nonce, BigInteger gasPrice, BigInteger gasLimit,
      String data) {
    return sign(RawTransaction.createTransaction(BigInteger.valueOf(nonce), gasPrice, gasLimit, contract,
        BigInteger.ZERO, data));
  }

  /** A contract creation with {@code creationCode} (constructor arguments appended), signed by this client's key. */
  public SignedTransaction signCreation(long nonce, BigInteger gasPrice, BigInteger gasLimit, String creationCode) {
    return sign(RawTransaction.createContractTransaction(BigInteger.valueOf(nonce), gasPrice, gasLimit,
        BigInteger.ZERO, creationCode));
  }

  public SignedTransaction signAnchor(String contract, long nonce, BigInteger gasPrice, long batchId, byte[] root) {
    return sign(RawTransaction.createTransaction(BigInteger.valueOf(nonce), gasPrice, ANCHOR_GAS_LIMIT, contract,
        BigInteger.ZERO, AnchorContract.anchorCall(batchId, root)));
  }

  public SignedTransaction signDeployment(long nonce, BigInteger gasPrice, String creationCode) {
    return sign(RawTransaction.createContractTransaction(BigInteger.valueOf(nonce), gasPrice, DEPLOY_GAS_LIMIT,
        BigInteger.ZERO, creationCode));
  }

  private SignedTransaction sign(RawTransaction transaction) {
    byte[] raw = TransactionEncoder.signMessage(transaction, chainId(), credentials);
    return new SignedTransaction(Numeric.toHexString(Hash.sha3(raw)), transaction.getNonce().longValueExact(),
        transaction.getGasPrice(), raw);
  }

  /** Sends exactly these signed bytes. Node-side refusals are outcomes, not exceptions. */
  public Broadcast broadcast(byte[] raw) {
    EthSendTransaction response;
    Span span = tracer.spanBuilder("chain eth_sendRawTransaction").setSpanKind(SpanKind.CLIENT)
        .setAttribute("rpc.system", "jsonrpc").startSpan();
    try {
      response = web3.ethSendRawTransaction(Numeric.toHexString(raw)).send();
    } catch (IOException | RuntimeException e) {
      throw new ChainUnavailableException("eth_sendRawTransaction: " + e.getMessage(), e);
    } finally {
      span.end();
    }
    if (!response.hasError()) {
      return new Broadcast(BroadcastOutcome.ACCEPTED, "");
    }
    String message = String.valueOf(response.getError().getMessage());
    String lower = message.toLowerCase(Locale.ROOT);
    if (lower.contains("already known") || lower.contains("already imported") || lower.contains("known transaction")
        || lower.contains("already exists")) {
      return new Broadcast(BroadcastOutcome.ALREADY_KNOWN, message);
    }
    if (lower.contains("nonce too low")) {
      return new Broadcast(BroadcastOutcome.NONCE_TOO_LOW, message);
    }
    return new Broadcast(BroadcastOutcome.REJECTED, message);
  }

  /** This client, its calls traced by {@code tracer} from now on. */
  public ChainClient traced(Tracer tracer) {
    this.tracer = tracer;
    return this;
  }

  private <T extends Response<?>> T call(String method, Request<?, T> request) {
    Span span = tracer.spanBuilder("chain " + method).setSpanKind(SpanKind.CLIENT)
        .setAttribute("rpc.system", "jsonrpc").setAttribute("rpc.method", method).startSpan();
    try (Scope scope = span.makeCurrent()) {
      T response;
      try {
        response = request.send();
      } catch (IOException | RuntimeException e) {
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
        throw new ChainUnavailableException(method + ": " + e.getMessage(), e);
      }
      if (response.hasError()) {
        span.setStatus(StatusCode.ERROR, "JSON-RPC error");
        throw new ChainRpcException(method, response.getError().getMessage());
      }
      return response;
    } finally {
      span.end();
    }
  }

  @Override
  public void close() {
    web3.shutdown();
    web3Executor.shutdownNow();
  }
}
