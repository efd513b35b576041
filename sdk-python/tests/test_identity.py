"""Sessions and API keys: refresh ahead of expiry and after an UNAUTHENTICATED answer, its 429, logout, x-api-key."""

import time
import unittest

from rendertrust import AuthenticationError, RateLimitedError, RenderTrustClient

from tests import support


class IdentityTest(unittest.TestCase):

    def test_a_token_near_expiry_or_rejected_in_flight_is_refreshed_and_refreshing_too_often_answers_429(self):
        # The only test that refreshes: refresh is limited to a few calls per minute and client IP.
        client, _ = support.fresh_client("refresh")
        with client:
            balance = client.get_balance()
            refresh_token = client._credentials.refresh_token
            # a token the server refuses, as an expired one would be
            client.use_tokens("not.a.valid-token", refresh_token)
            self.assertEqual(client.get_balance(), balance)
            self.assertNotEqual(client._credentials.refresh_token, refresh_token, "the refresh token was rotated")

            # an access token about to expire is refreshed before the call, not after a refusal
            rotated = client._credentials.refresh_token
            client._credentials._expires_at = time.time() + 30
            self.assertEqual(client.get_balance(), balance)
            self.assertNotEqual(client._credentials.refresh_token, rotated, "refreshed ahead of expiry")
            self.assertFalse(client._credentials.expires_within(60), "the new access token lives 30 minutes")

            with self.assertRaises(RateLimitedError) as limited:
                for _ in range(10):
                    client.refresh()
            self.assertEqual((limited.exception.reason, limited.exception.http_status), ("RATE_LIMITED", 429))
            self.assertGreater(limited.exception.retry_after or 0, 0)

    def test_logout_ends_the_session(self):
        client, _ = support.fresh_client("logout")
        with client:
            access = client._credentials.metadata()
            client.logout()
            with self.assertRaises(AuthenticationError):
                client.get_balance()
            client._credentials.use_tokens(access[0][1][len("Bearer "):], None)
            with self.assertRaises(AuthenticationError) as revoked:
                client.get_balance()
            self.assertEqual(revoked.exception.reason, "TOKEN_REVOKED")

    def test_an_api_key_authenticates_until_it_is_revoked(self):
        owner, _ = support.fresh_client("keys")
        with owner:
            created = owner.create_api_key("ci-pipeline")
            self.assertTrue(created["key"].startswith(created["api_key"]["prefix"]))
            self.assertIsNone(created["api_key"]["revoked_at"])
            with RenderTrustClient(base_url=support.server_url(), api_key=created["key"]) as by_key:
                self.assertEqual(by_key.get_balance()["user_id"], owner.get_balance()["user_id"])
                listed = owner.list_api_keys()
                self.assertEqual([key["name"] for key in listed], ["ci-pipeline"])
                self.assertNotIn("key", listed[0])
                revoked = owner.revoke_api_key(created["api_key"]["id"])
                self.assertIsNotNone(revoked["revoked_at"])
                with self.assertRaises(AuthenticationError):
                    by_key.get_balance()
