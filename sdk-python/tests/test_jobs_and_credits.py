"""Jobs with an API key (idempotent submit, wait, byte-exact download, list by status), credits and proofs."""

import os
import tempfile
import unittest

from rendertrust import NotAnchoredError, RenderTrustClient

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
