"""Jobs with an API key (idempotent submit, wait, byte-exact download, list by status), credits and proofs."""

import os
import tempfile
import unittest

from rendertrust import JobNotRetryableError, NotAnchoredError, RenderTrustClient

from tests import support


class JobsAndCreditsTest(unittest.TestCase):

    def test_an_echo_job_submitted_with_an_api_key_completes_and_a_retry_returns_the_same_job(self):
        owner, _ = support.fresh_client("jobs")
        with owner, RenderTrustClient(base_url=support.server_url(),
                                      api_key=owner.create_api_key("jobs")["key"]) as client:
            payload = {"message": "hello, idempotently"}
            first = client.submit_job(job_type="echo", payload=payload, idempotency_key="py-retry-1")
            retry = client.submit_job(job_type="echo", payload=payload, idempotency_key="py-retry-1")
            self.assertEqual(retry["job_id"], first["job_id"])
            job = client.wait_for_job(first["job_id"], timeout=90)
            self.assertEqual((job["status"], job["job_type"], job["node_id"]), ("COMPLETED", "echo", first["node_id"]))
            self.assertEqual([listed["id"] for listed in client.list_jobs(status="COMPLETED")], [first["job_id"]])
            self.assertEqual(client.list_jobs(status="RUNNING"), [])
            with tempfile.TemporaryDirectory() as work:
                path = client.download_result(first["job_id"], output_path=os.path.join(work, "result.json"))
                with open(path, "rb") as result:
                    self.assertEqual(result.read(), b"hello, idempotently")

    def test_a_purchase_shows_in_balance_and_history_and_its_entry_is_proven_on_chain(self):
        client, _ = support.fresh_client("credits")
        with client:
            self.assertEqual(client.get_balance()["balance"], "0.0000")
            self.assertEqual([p["id"] for p in client.list_packages()], ["credits_100", "credits_500", "credits_1000"])
            support.buy_credits(client)
            support.wait_until("the purchase", lambda: client.get_balance()["balance"] == "100.0000")
            [entry] = client.get_credit_history()
            self.assertEqual((entry["direction"], entry["source"], entry["amount"], entry["balance_after"]),
                             ("CREDIT", "PURCHASE", "100.0000", "100.0000"))
            proof = support.wait_until("the anchored proof", lambda: self._proof_or_none(client, entry["id"]),
                                       timeout=120)
            self.assertTrue(RenderTrustClient.proof_verifies_locally(proof))
            tampered = dict(proof, leaf="00" * 32)
            self.assertFalse(RenderTrustClient.proof_verifies_locally(tampered))
            verification = client.verify_entry(entry["id"])
            self.assertTrue(verification["verified"])
            self.assertEqual(verification["on_chain_root"], proof["merkle_root"])

    @staticmethod
    def _proof_or_none(client, entry_id):
        try:
            return client.get_proof(entry_id)
        except NotAnchoredError:
            return None

    def test_a_watched_echo_job_streams_its_events_in_order_and_ends_at_completion(self):
        client, _ = support.fresh_client("watch")
        with client:
            job_id = client.submit_job(job_type="echo", payload={"message": "watch me"})["job_id"]
            events = list(client.watch_job(job_id))
            self.assertEqual([event["seq"] for event in events], list(range(1, len(events) + 1)))
            self.assertEqual(events[0]["type"], "job.created")
            self.assertEqual((events[-1]["type"], events[-1]["status"]), ("job.completed", "COMPLETED"))
            resumed = list(client.watch_job(job_id, after_seq=events[0]["seq"]))
            self.assertEqual(resumed, events[1:])
            with self.assertRaises(JobNotRetryableError):
                client.retry_job(job_id)

    def test_estimates_price_the_three_tiers_and_write_nothing(self):
        client, _ = support.fresh_client("estimate")
        with client:
            prices = [client.estimate_job(job_type="cpu_benchmark", tier=tier)["price"]
                      for tier in ("economy", "standard", "priority")]
            self.assertEqual(prices, ["0.8000", "1.0000", "1.5000"])
            estimate = client.estimate_job(job_type="cpu_benchmark", tier="priority")
            self.assertEqual((estimate["available"], estimate["sufficient"]), ("0.0000", False))
            self.assertEqual(client.list_jobs(), [])

