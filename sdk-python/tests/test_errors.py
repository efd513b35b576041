"""Typed errors keyed by ErrorInfo.reason: 401, 402, 403, 404, 409, 422 and the job-specific 400s (429: test_identity)."""

import unittest
import uuid
from decimal import Decimal

from rendertrust import (AuthenticationError, ConflictError, InsufficientCreditsError, JobNotCancellableError,
                         NoHealthyNodeError, NotFoundError, PermissionDeniedError, RenderTrustClient,
                         RenderTrustError, ValidationError)

from tests import support


class TypedErrorsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.client, cls.email = support.fresh_client("errors")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def assert_error(self, context, reason, http_status):
        error = context.exception
        self.assertEqual((error.reason, error.http_status), (reason, http_status), str(error))
        self.assertTrue(error.message)

    def test_401_a_wrong_password_and_a_call_without_credentials(self):
        with RenderTrustClient(base_url=support.server_url()) as anonymous:
            with self.assertRaises(AuthenticationError) as wrong:
                anonymous.login(self.email, "not the password")
            self.assert_error(wrong, "INVALID_CREDENTIALS", 401)
            with self.assertRaises(AuthenticationError) as missing:
                anonymous.get_balance()
            self.assertEqual(missing.exception.http_status, 401)

    def test_402_a_priced_job_without_credits_says_what_is_available_and_requested(self):
        with self.assertRaises(InsufficientCreditsError) as refused:
            self.client.submit_job(job_type="cpu_benchmark", payload={"limit": 1000})
        self.assert_error(refused, "INSUFFICIENT_CREDITS", 402)
        self.assertEqual(refused.exception.available, Decimal("0"))
        self.assertEqual(refused.exception.requested, Decimal("1"))
        self.assertEqual([job for job in self.client.list_jobs() if job["job_type"] == "cpu_benchmark"], [],
                         "nothing was written")

    def test_403_an_api_key_cannot_mint_api_keys(self):
        key = self.client.create_api_key("errors-403")["key"]
        with RenderTrustClient(base_url=support.server_url(), api_key=key) as by_key:
            with self.assertRaises(PermissionDeniedError) as refused:
                by_key.create_api_key("another")
        self.assert_error(refused, "PERMISSION_DENIED", 403)

    def test_404_a_missing_job_and_another_users_job_answer_alike(self):
        with self.assertRaises(NotFoundError) as missing:
            self.client.get_job(str(uuid.uuid4()))
        self.assert_error(missing, "NOT_FOUND", 404)
        other, _ = support.fresh_client("other")
        with other:
            job = other.submit_job(job_type="echo", payload={"message": "mine"})
            with self.assertRaises(NotFoundError) as foreign:
                self.client.get_job(job["job_id"])
            self.assert_error(foreign, "NOT_FOUND", 404)
            with self.assertRaises(NotFoundError):
                self.client.cancel_job(job["job_id"])

    def test_409_a_taken_email_and_an_idempotency_key_reused_for_another_request(self):
        with RenderTrustClient(base_url=support.server_url()) as again:
            with self.assertRaises(ConflictError) as taken:
                again.register(self.email, support.PASSWORD, name="Again")
        self.assert_error(taken, "EMAIL_TAKEN", 409)
        first = self.client.submit_job(job_type="echo", payload={"message": "one"})
        with self.assertRaises(ConflictError) as conflict:
            self.client.submit_job(job_type="echo", payload={"message": "two"},
                                   idempotency_key=first["idempotency_key"])
        self.assert_error(conflict, "IDEMPOTENCY_CONFLICT", 409)

    def test_422_an_unknown_status_filter_and_an_unknown_package(self):
        with self.assertRaises(ValidationError) as status:
            self.client.list_jobs(status="SLEEPING")
        self.assert_error(status, "VALIDATION_FAILED", 422)
        with self.assertRaises(ValidationError) as package:
            self.client.create_checkout("credits_7")
        self.assert_error(package, "UNKNOWN_PACKAGE", 422)

    def test_400_no_node_offers_the_job_type_and_an_ended_job_cannot_be_cancelled(self):
        with self.assertRaises(NoHealthyNodeError) as nobody:
            self.client.submit_job(job_type="quantum_annealing")
        self.assert_error(nobody, "NO_HEALTHY_NODE", 400)
        job = self.client.submit_job(job_type="echo", payload={"message": "done soon"})
        support.wait_for_status(self.client, job["job_id"], "COMPLETED")
        with self.assertRaises(JobNotCancellableError) as ended:
            self.client.cancel_job(job["job_id"])
        self.assert_error(ended, "JOB_NOT_CANCELLABLE", 400)
        self.assertIsInstance(ended.exception, RenderTrustError)
