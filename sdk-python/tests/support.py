"""What the SDK tests share: the real server they run against, fresh accounts, a purchase and waits.

The server URL comes from RENDERTRUST_TEST_URL (the e2e test PythonSdkIT starts ServerMain --dev
with a node agent offering echo, cpu_benchmark, render and e2e_sleep, and sets it). Buying credits
plays Stripe's signed "payment succeeded" webhook with RENDERTRUST_TEST_STRIPE_WEBHOOK_SECRET,
the server's RT_STRIPE_WEBHOOK_SECRET.
"""

import hashlib
import hmac
import json
import os
import time
import urllib.request
import uuid

from rendertrust import RenderTrustClient

PASSWORD = "correct horse battery"


def server_url():
    url = os.environ.get("RENDERTRUST_TEST_URL")
    if not url:
        raise RuntimeError("RENDERTRUST_TEST_URL is not set: these tests need a running server"
                           " (run them through the e2e test PythonSdkIT)")
    return url


def new_email(role="creator"):
    return f"py-{role}-{uuid.uuid4().hex[:10]}@sdk.example.com"


def fresh_client(role="creator"):
    """A client logged in as a newly registered creator; returns (client, email)."""
    client = RenderTrustClient(base_url=server_url())
    email = new_email(role)
    client.register(email, PASSWORD, name=f"Python {role}")
    return client, email


def buy_credits(client, package_id="credits_100"):
    """A purchase as in production: a checkout through the SDK, then Stripe's signed webhook about it."""
    packages = {package["id"]: package for package in client.list_packages()}
    checkout = client.create_checkout(package_id)
    session = {
        "id": checkout["session_id"], "object": "checkout.session", "payment_status": "paid",
        "client_reference_id": client.get_balance()["user_id"],
        "amount_total": packages[package_id]["price_cents"], "currency": packages[package_id]["currency"],
    }
    event = {"id": "evt_py_" + checkout["session_id"], "object": "event", "type": "checkout.session.completed",
             "livemode": False, "data": {"object": session}}
    body = json.dumps(event).encode()
    timestamp = str(int(time.time()))
    secret = os.environ["RENDERTRUST_TEST_STRIPE_WEBHOOK_SECRET"].encode()
    signature = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(server_url().rstrip("/") + "/api/v1/webhooks/stripe", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Stripe-Signature": f"t={timestamp},v1={signature}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, response.status
    return checkout


def wait_until(what, condition, timeout=90.0):
    """Polls ``condition`` (returning a truthy value when met) every 200 ms; fails after ``timeout``."""
    give_up, last = time.monotonic() + timeout, None
    while time.monotonic() < give_up:
        last = condition()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_status(client, job_id, status, timeout=90.0):
    return wait_until(f"job {job_id} {status}",
                      lambda: (lambda job: job if job["status"] == status else None)(client.get_job(job_id)), timeout)
