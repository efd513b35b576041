"""The Python SDK quickstart (docs/sdk-python.md) as a program: a new creator registers, logs in,
creates an API key, submits an ``echo`` job with that key, waits for it, downloads the result and
checks it. Run it against a server with a node that offers ``echo``:
``./rendertrust sdk-example python [http://localhost:8000]``. Exit code 0 only when the job
completed and its result is the message sent; 2 when no node offers echo.
"""

import os
import sys
import tempfile
import uuid

from rendertrust import NoHealthyNodeError, RenderTrustClient

MESSAGE = "hello from the Python SDK"


def main(argv):
    server = argv[0] if argv else "http://localhost:8000"
    email, password = f"quickstart-{uuid.uuid4()}@example.com", "correct horse battery staple"
    with RenderTrustClient(base_url=server) as client:
        client.register(email, password, name="Quickstart")
        client.login(email, password)
        key = client.create_api_key("quickstart")["key"]

    with RenderTrustClient(base_url=server, api_key=key) as client:
        try:
            submitted = client.submit_job(job_type="echo", payload={"message": MESSAGE})
        except NoHealthyNodeError as e:
            print(f"no node offers echo ({e.message}): start one with"
                  " ./rendertrust agent register ... && ./rendertrust agent run", file=sys.stderr)
            return 2
        print(f"submitted job {submitted['job_id']}: {submitted['status']}")
        job = client.wait_for_job(submitted["job_id"], timeout=120)
        print(f"job {job['id']}: {job['status']} on node {job['node_id']}")
        if job["status"] != "COMPLETED":
            print(f"the job did not complete: {job['error_message']}", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as work:
            path = client.download_result(job["id"], output_path=os.path.join(work, "result.txt"))
            with open(path, encoding="utf-8") as result:
                text = result.read()
        print(f"result: {text}")
        print(f"balance: {client.get_balance()['balance']}")
        if text != MESSAGE:
            print("the result differs from the message sent", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
