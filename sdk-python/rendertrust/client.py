"""RenderTrustClient: the Python client of the RenderTrust control plane, over gRPC."""

import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import grpc
from google.protobuf import struct_pb2

from rendertrust import _transfers, errors
from rendertrust._credentials import Credentials
from rendertrust._messages import proof_verifies, to_dict
from rendertrust.v1 import (auth_service_pb2 as auth_pb, auth_service_pb2_grpc as auth_grpc,
                            credit_service_pb2 as credit_pb, credit_service_pb2_grpc as credit_grpc,
                            job_pricing_service_pb2 as pricing_pb, job_pricing_service_pb2_grpc as pricing_grpc,
                            job_service_pb2 as job_pb, job_service_pb2_grpc as job_grpc,
                            ledger_service_pb2 as ledger_pb, ledger_service_pb2_grpc as ledger_grpc,
                            upload_service_pb2 as upload_pb, upload_service_pb2_grpc as upload_grpc)

TERMINAL_STATUSES = ("COMPLETED", "FAILED", "CANCELLED")
# Refresh the access token this many seconds before it expires.
_REFRESH_MARGIN_SECONDS = 60


class RenderTrustClient:
    """A creator's client. Every call has a deadline (``timeout`` seconds, default 30) and fails
    with a :mod:`rendertrust.errors` type keyed by the server's ``ErrorInfo.reason``. After
    :meth:`login` or :meth:`register` the client keeps the tokens, refreshes the access token
    shortly before it expires and retries a call once after a refresh when the server answers
    UNAUTHENTICATED. With ``api_key=`` (or :meth:`use_api_key`) it sends ``x-api-key`` instead.
    Results are plain dicts with the proto field names (an unset optional field is None).

    >>> client = RenderTrustClient(base_url="http://localhost:8000")
    >>> client.login("you@example.com", "your-password")
    """

    def __init__(self, base_url="http://localhost:8000", api_key=None, timeout=30.0, channel=None):
        self.base_url = base_url
        self.timeout = timeout
        self._credentials = Credentials()
        self._refresh_lock = threading.Lock()
        self._channel = channel if channel is not None else _channel_for(base_url)
        self._owns_channel = channel is None
        self._auth = auth_grpc.AuthServiceStub(self._channel)
        self._credits = credit_grpc.CreditServiceStub(self._channel)
        self._jobs = job_grpc.JobServiceStub(self._channel)
        self._pricing = pricing_grpc.JobPricingServiceStub(self._channel)
        self._ledger = ledger_grpc.LedgerServiceStub(self._channel)
        self._uploads = upload_grpc.UploadServiceStub(self._channel)
        if api_key:
            self.use_api_key(api_key)

    # ---- identity -------------------------------------------------------------------------

    def register(self, email, password, name):
        """Creates an account and keeps its tokens: ``{"user": {...}, "tokens": {...}}``.
        A taken e-mail raises ConflictError (EMAIL_TAKEN)."""
        response = self._call(self._auth.Register,
                              auth_pb.RegisterRequest(email=email, name=name, password=password), authenticated=False)
        self._credentials.use_tokens(response.tokens.access_token, response.tokens.refresh_token)
        return to_dict(response)

    def login(self, email, password):
        """Logs in and keeps the tokens: ``{"access_token", "refresh_token", "token_type"}``.
        Bad credentials raise AuthenticationError (INVALID_CREDENTIALS)."""
        response = self._call(self._auth.Login, auth_pb.LoginRequest(email=email, password=password),
                              authenticated=False)
        self._credentials.use_tokens(response.access_token, response.refresh_token)
        return to_dict(response)

    def use_tokens(self, access_token, refresh_token=None):
        """Uses tokens obtained elsewhere (e.g. a stored session)."""
        self._credentials.use_tokens(access_token, refresh_token)

    def use_api_key(self, api_key):
        """Authenticates every later call with an API key (``x-api-key``) instead of tokens."""
        self._credentials.use_api_key(api_key)

    def refresh(self):
        """Exchanges the refresh token for a new pair; the old refresh token stops working."""
        with self._refresh_lock:
            refresh_token = self._credentials.refresh_token
            if not refresh_token:
                raise RuntimeError("no session to refresh: log in first")
            response = self._call(self._auth.Refresh, auth_pb.RefreshRequest(refresh_token=refresh_token),
                                  authenticated=False)
            self._credentials.use_tokens(response.access_token, response.refresh_token)
            return to_dict(response)

    def logout(self):
        """Ends the session on the server (its tokens stop working) and forgets it locally."""
        response = self._call(self._auth.Logout, auth_pb.LogoutRequest())
        self._credentials.clear()
        return to_dict(response)

    def create_api_key(self, name):
        """Creates an API key: ``{"api_key": {...}, "key": "rt_..."}``; ``key`` is shown only this once."""
        return to_dict(self._call(self._auth.CreateApiKey, auth_pb.CreateApiKeyRequest(name=name)))

    def list_api_keys(self):
        """The caller's API keys, newest first (prefixes only, never the secrets)."""
        return to_dict(self._call(self._auth.ListApiKeys, auth_pb.ListApiKeysRequest()))["api_keys"]

    def revoke_api_key(self, key_id):
        """Revokes one of the caller's API keys; another user's key raises NotFoundError."""
        return to_dict(self._call(self._auth.RevokeApiKey, auth_pb.RevokeApiKeyRequest(key_id=key_id)))["api_key"]

    # ---- credits --------------------------------------------------------------------------

    def get_balance(self):
        """``{"balance": "100.0000", "user_id": ...}``; amounts are decimal strings."""
        return to_dict(self._call(self._credits.GetBalance, credit_pb.GetBalanceRequest()))

    def get_credit_history(self, limit=50, offset=0):
        """One page of the caller's ledger entries, newest first (``limit`` 1..200)."""
        request = credit_pb.ListHistoryRequest(limit=limit, offset=offset)
        return to_dict(self._call(self._credits.ListHistory, request))["entries"]

    def list_packages(self):
        """The purchasable credit packages, cheapest first."""
        return to_dict(self._call(self._credits.ListPackages, credit_pb.ListPackagesRequest()))["packages"]

    def create_checkout(self, package_id):
        """Starts a Stripe Checkout: ``{"checkout_url", "session_id"}``; credits arrive once Stripe confirms."""
        return to_dict(self._call(self._credits.CreateCheckout, credit_pb.CreateCheckoutRequest(package_id=package_id)))

    # ---- jobs -----------------------------------------------------------------------------

    def submit_job(self, job_type, payload=None, payload_ref=None, priority="normal", gpu_required=False,
                   idempotency_key=None, input_id=None, tier=None):
        """Submits a job: ``{"job_id", "node_id", "status", "idempotency_key"}`` (``node_id`` None while
        QUEUED). ``input_id`` names one of the caller's READY uploads (:meth:`upload`) as its input;
        ``tier`` is "economy", "standard" (the default) or "priority".
        A fresh idempotency key is used unless one is given; the call is retried once with
        it when the server cannot be reached, and the same key always returns the same job.
        Raises InsufficientCreditsError (402) or NoHealthyNodeError when the job cannot run."""
        key = idempotency_key or str(uuid.uuid4())
        request = _dispatch_request(job_type, payload, payload_ref, priority, gpu_required, input_id, tier)
        request.idempotency_key = key
        try:
            response = self._call(self._jobs.DispatchJob, request)
        except errors.UnavailableError:
            response = self._call(self._jobs.DispatchJob, request)
        return dict(to_dict(response), idempotency_key=key)

    def estimate_job(self, job_type, payload=None, payload_ref=None, priority="normal", gpu_required=False,
                     input_id=None, tier=None):
        """What :meth:`submit_job` with the same arguments would cost and when it could start, writing
        nothing: ``{"price", "available", "sufficient", "frames", "tasks", "eligible_nodes", "free_slots",
        "queued_ahead", "estimated_start_seconds", ...}``. Never raises 402 (``sufficient`` is False)."""
        request = _dispatch_request(job_type, payload, payload_ref, priority, gpu_required, input_id, tier)
        return to_dict(self._call(self._pricing.EstimateJob, request))

    def retry_job(self, job_id):
        """Runs a FAILED job's failed and unfinished tasks again under a new hold; returns the job
        (QUEUED). Raises JobNotRetryableError unless the job FAILED, InsufficientCreditsError (402)."""
        return to_dict(self._call(self._pricing.RetryJob, pricing_pb.RetryJobRequest(job_id=job_id)).job)

    def watch_job(self, job_id, after_seq=0, resume_attempts=5):
        """Yields the job's events as dicts (``{"seq", "type", "status", "progress", "frames_done", ...}``):
        the stored ones after ``after_seq``, then live ones, ending after job.completed, job.failed or
        job.cancelled. A dropped stream is resumed after the last seen ``seq`` (up to
        ``resume_attempts`` times in a row), so no event is missed or repeated."""
        last_seq, failures = after_seq, 0
        while True:
            request = job_pb.WatchJobRequest(job_id=job_id, after_seq=last_seq)
            try:
                for event in self._stream(self._jobs.WatchJob, request):
                    failures = 0
                    event = to_dict(event)
                    last_seq = event["seq"]
                    yield event
                    if event["type"] in ("job.completed", "job.failed", "job.cancelled"):
                        return
                return
            except errors.UnavailableError:
                failures += 1
                if failures > resume_attempts:
                    raise
                time.sleep(min(0.2 * 2 ** failures, 5.0))

    def get_job(self, job_id):
        """One of the caller's jobs (``job["status"]`` etc.); another user's job raises NotFoundError."""
        return to_dict(self._call(self._jobs.GetJob, job_pb.GetJobRequest(job_id=job_id)).job)

    def list_jobs(self, status=None, limit=50, offset=0):
        """The caller's jobs, newest first, optionally only those in ``status`` (e.g. "RUNNING")."""
        request = job_pb.ListJobsRequest(status=status or "", limit=limit, offset=offset)
        return to_dict(self._call(self._jobs.ListJobs, request))["jobs"]

    def cancel_job(self, job_id):
        """Cancels a QUEUED or DISPATCHED job and releases its hold; returns the job (CANCELLED).
        A running or ended job raises JobNotCancellableError."""
        return to_dict(self._call(self._jobs.CancelJob, job_pb.CancelJobRequest(job_id=job_id)).job)

    def wait_for_job(self, job_id, timeout=120.0):
        """Polls (100 ms doubling to 2 s) until the job is COMPLETED, FAILED or CANCELLED; returns it.
        Raises UnavailableError when ``timeout`` seconds pass first."""
        give_up, pause = time.monotonic() + timeout, 0.1
        while True:
            job = self.get_job(job_id)
            if job["status"] in TERMINAL_STATUSES:
                return job
            if time.monotonic() > give_up:
                raise errors.UnavailableError("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED",
                                              f"job {job_id} still {job['status']} after {timeout} s")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def get_job_result(self, job_id):
        """``{"job_id", "download_url", "expires_in"}`` of a COMPLETED job (else NotFoundError RESULT_NOT_AVAILABLE)."""
        return to_dict(self._call(self._jobs.GetJobResult, job_pb.GetJobResultRequest(job_id=job_id)))

    def download_result(self, job_id, output_path=None):
        """Downloads a COMPLETED job's result to ``output_path`` (default: the job id in the current
        directory) through its presigned URL; returns the path written."""
        link = self.get_job_result(job_id)
        target = os.path.abspath(output_path or job_id)
        handle, partial = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=os.path.dirname(target))
        try:
            with os.fdopen(handle, "wb") as out, \
                    urllib.request.urlopen(link["download_url"], timeout=self.timeout * 4) as response:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
            os.replace(partial, target)
        except urllib.error.HTTPError as e:
            raise errors.UnavailableError("RESULT_DOWNLOAD_FAILED", "UNAVAILABLE",
                                          f"result download answered HTTP {e.code}") from e
        except OSError as e:
            raise errors.UnavailableError("RESULT_DOWNLOAD_FAILED", "UNAVAILABLE", str(e)) from e
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        return output_path or target

    def list_job_tasks(self, job_id):
        """The job's tasks in index order (a render job has one per ``frames_per_task`` frames, any other job one)."""
        return to_dict(self._call(self._jobs.ListJobTasks, job_pb.ListJobTasksRequest(job_id=job_id)))["tasks"]

    def list_job_outputs(self, job_id):
        """The job's delivered outputs (rendered frames) in frame order: ``[{"frame", "name", "size_bytes",
        "sha256", "content_type", "download_url"}]``; the URLs need no credentials for an hour."""
        return to_dict(self._call(self._jobs.ListJobOutputs, job_pb.ListJobOutputsRequest(job_id=job_id)))["outputs"]

    def download_outputs(self, job_id, directory="."):
        """Downloads every delivered output of the job into ``directory`` under its name, each checked
        against the size and SHA-256 the server listed (OutputMismatchError otherwise, the file not kept).
        Returns the paths written, in frame order."""
        os.makedirs(directory, exist_ok=True)
        paths = []
        for output in self.list_job_outputs(job_id):
            name = os.path.basename(output["name"]) or f"frame_{output['frame']}"
            paths.append(_transfers.download(output["download_url"], os.path.join(directory, name), self.timeout * 4,
                                             expected_size=output["size_bytes"], expected_sha256=output["sha256"],
                                             what=f"frame {output['frame']} ({name}) of job {job_id}"))
        return paths

    # ---- uploads --------------------------------------------------------------------------

    def upload(self, path, content_type=None, filename=None):
        """Uploads a file as a job input: reads it once for its size and SHA-256, declares it, streams
        it to the presigned URL with the headers the server named, and completes it. Returns the READY
        upload (``upload["id"]`` is a job's ``input_id``). Over the size limit: PayloadTooLargeError;
        over the quota: ValidationError (QUOTA_EXCEEDED), both before any byte moves."""
        size, sha256 = _transfers.size_and_sha256(path)
        request = upload_pb.CreateUploadRequest(filename=filename or os.path.basename(path), size_bytes=size,
                                                sha256=sha256,
                                                content_type=content_type or _transfers.guess_content_type(path))
        created = self._call(self._uploads.CreateUpload, request)
        _transfers.put_file(created.upload_url, path, size, dict(created.upload_headers), self.timeout * 4)
        return self.complete_upload(created.upload.id)

    def complete_upload(self, upload_id):
        """Asks the server to check the PUT bytes against the declaration: the upload becomes READY
        (UPLOAD_MISMATCH: ValidationError, the bytes are deleted; UPLOAD_INCOMPLETE: ConflictError)."""
        return to_dict(self._call(self._uploads.CompleteUpload,
                                  upload_pb.CompleteUploadRequest(upload_id=upload_id)).upload)

    def get_upload(self, upload_id):
        """One of the caller's uploads; another user's id raises NotFoundError, like a missing one."""
        return to_dict(self._call(self._uploads.GetUpload, upload_pb.GetUploadRequest(upload_id=upload_id)).upload)

    def list_uploads(self, limit=50, offset=0):
        """The caller's uploads, newest first."""
        request = upload_pb.ListUploadsRequest(limit=limit, offset=offset)
        return to_dict(self._call(self._uploads.ListUploads, request))["uploads"]

    def delete_upload(self, upload_id):
        """Deletes the upload's bytes (status DELETED); ConflictError (UPLOAD_IN_USE) while an unfinished job uses it."""
        return to_dict(self._call(self._uploads.DeleteUpload,
                                  upload_pb.DeleteUploadRequest(upload_id=upload_id)).upload)

    # ---- tamper-evident ledger ------------------------------------------------------------

    def get_proof(self, entry_id):
        """The Merkle inclusion proof of one of the caller's ledger entries; NotAnchoredError until
        its batch is on chain. Check it yourself with :meth:`proof_verifies_locally`."""
        return to_dict(self._call(self._ledger.GetProof, ledger_pb.GetProofRequest(entry_id=entry_id)))

    @staticmethod
    def proof_verifies_locally(proof):
        """True when the proof's path leads from its leaf to its root (RFC 6962, no trust in the server)."""
        return proof_verifies(proof)

    def wait_for_proof(self, entry_id, timeout=120.0):
        """Waits while the entry answers NotAnchoredError, then returns its proof."""
        give_up, pause = time.monotonic() + timeout, 0.2
        while True:
            try:
                return self.get_proof(entry_id)
            except errors.NotAnchoredError:
                if time.monotonic() > give_up:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 5.0)

    def verify_entry(self, entry_id):
        """The server's comparison of the entry's root with the root on chain: ``{"verified": True, ...}``."""
        return to_dict(self._call(self._ledger.VerifyEntry, ledger_pb.VerifyEntryRequest(entry_id=entry_id)))

    def list_anchors(self, page=1, per_page=20):
        """Anchored batches, newest first."""
        return to_dict(self._call(self._ledger.ListAnchors,
                                  ledger_pb.ListAnchorsRequest(page=page, per_page=per_page)))["anchors"]

    # ---- plumbing -------------------------------------------------------------------------

    def close(self):
        if self._owns_channel:
            self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _stream(self, rpc, request):
        """A server stream without a deadline (it lasts as long as the job); errors are typed."""
        if self._credentials.refresh_token is not None and self._credentials.expires_within(_REFRESH_MARGIN_SECONDS):
            self.refresh()
        try:
            yield from rpc(request, metadata=self._credentials.metadata())
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from None

    def _call(self, rpc, request, authenticated=True):
        """One call with the deadline: refreshes an access token about to expire first, and once more
        after an UNAUTHENTICATED answer, so a token that expired in flight costs a retry, not an error."""
        can_refresh = authenticated and self._credentials.refresh_token is not None
        if can_refresh and self._credentials.expires_within(_REFRESH_MARGIN_SECONDS):
            self.refresh()
        try:
            return rpc(request, timeout=self.timeout, metadata=self._credentials.metadata())
        except grpc.RpcError as e:
            if not (can_refresh and e.code() == grpc.StatusCode.UNAUTHENTICATED):
                raise errors.from_rpc_error(e) from None
            first_failure = e
        try:
            self.refresh()
        except errors.RenderTrustError:
            raise errors.from_rpc_error(first_failure) from None
        try:
            return rpc(request, timeout=self.timeout, metadata=self._credentials.metadata())
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from None


def _dispatch_request(job_type, payload, payload_ref, priority, gpu_required, input_id, tier):
    request = job_pb.DispatchJobRequest(job_type=job_type, priority=priority, gpu_required=gpu_required)
    if payload is not None:
        struct = struct_pb2.Struct()
        struct.update(payload)
        request.payload.CopyFrom(struct)
    if payload_ref is not None:
        request.payload_ref = payload_ref
    if input_id is not None:
        request.input_id = input_id
    if tier is not None:
        request.tier = tier
    return request


def _channel_for(base_url):
    """Plaintext HTTP/2 (h2c) for http://, TLS for https:// (default ports 80/443)."""
    url = urllib.parse.urlsplit(base_url if "://" in base_url else "http://" + base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"base_url must be http(s)://host[:port], not {base_url!r}")
    tls = url.scheme == "https"
    target = f"{url.hostname}:{url.port or (443 if tls else 80)}"
    if tls:
        return grpc.secure_channel(target, grpc.ssl_channel_credentials())
    return grpc.insecure_channel(target)
