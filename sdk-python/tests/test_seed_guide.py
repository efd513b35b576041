"""The Python snippets of the creator guide (seed 000, "User Guide — Creator"), run unchanged.

Each snippet below is copied verbatim from the guide. Only its placeholders are filled in before
it runs: the API address (``https://api.rendertrust.com``) becomes the test server, and
``"job-uuid"`` the id of a real job in the state the snippet needs. The account
``you@example.com`` / ``your-password`` is registered first. The render's ``s3://your-bucket/…``
ref is an opaque reference, so that render's own outcome is not checked, only that every call
succeeds with the documented shapes.
"""

import contextlib
import io
import os
import re
import tempfile
import unittest

from rendertrust import ConflictError, RenderTrustClient

from tests import support

SUBMIT = '''
from rendertrust import RenderTrustClient

client = RenderTrustClient(base_url="https://api.rendertrust.com")
client.login("you@example.com", "your-password")

# Submit a job
result = client.submit_job(
    job_type="render",
    payload={"ref": "s3://your-bucket/scene.blend"}
)
print(f"Job {result['job_id']} dispatched to node {result['node_id']}")
'''

MONITOR = '''
# Check job status
job = client.get_job("job-uuid")
print(f"Status: {job['status']}")

# List all running jobs
running = client.list_jobs(status="RUNNING")
for job in running:
    print(f"{job['id']}: {job['status']}")
'''

DOWNLOAD = '''
# Download result to a file
filepath = client.download_result("job-uuid", output_path="output.png")
print(f"Saved to {filepath}")
'''

CANCEL = '''
client.cancel_job("job-uuid")
'''

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run(snippet, namespace, job_id=None):
    """Runs a guide snippet with its placeholders filled in; returns what it printed."""
    code = snippet.replace('"https://api.rendertrust.com"', repr(support.server_url()))
    if job_id is not None:
        code = code.replace('"job-uuid"', repr(job_id))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<creator guide>", "exec"), namespace)  # noqa: S102 - the guide's own code
    return printed.getvalue()


class CreatorGuideSnippetsTest(unittest.TestCase):

    def test_the_guides_python_snippets_run_unchanged_against_the_server(self):
        owner = RenderTrustClient(base_url=support.server_url())
        try:
            owner.register("you@example.com", "your-password", name="You")
        except ConflictError:
            owner.login("you@example.com", "your-password")
        support.buy_credits(owner)  # a render costs 10 credits

        namespace = {}
        printed = run(SUBMIT, namespace)
        result = namespace["result"]
        self.assertRegex(printed, rf"^Job {UUID} dispatched to node {UUID}\n$")
        self.assertEqual(result["status"], "DISPATCHED")
        client = namespace["client"]
        render = support.wait_until("the render to end",
                                    lambda: (lambda job: job if job["status"] in ("COMPLETED", "FAILED") else None)(
                                        client.get_job(result["job_id"])))

        echo = client.submit_job(job_type="echo", payload={"message": "the guide's download"})
        support.wait_for_status(client, echo["job_id"], "COMPLETED")
        sleeper = client.submit_job(job_type="e2e_sleep", payload={"seconds": 8})
        support.wait_for_status(client, sleeper["job_id"], "RUNNING")

        printed = run(MONITOR, namespace, job_id=result["job_id"])
        self.assertEqual(printed, f"Status: {render['status']}\n{sleeper['job_id']}: RUNNING\n")

        with tempfile.TemporaryDirectory() as work:
            here = os.getcwd()
            os.chdir(work)
            try:
                printed = run(DOWNLOAD, namespace, job_id=echo["job_id"])
                with open(os.path.join(work, "output.png"), encoding="utf-8") as saved:
                    self.assertEqual(saved.read(), "the guide's download")
            finally:
                os.chdir(here)
        self.assertEqual(printed, "Saved to output.png\n")

        # the node's only slot is busy with the sleeper, so this one waits in the queue
        queued = client.submit_job(job_type="echo", payload={"message": "never runs"})
        self.assertEqual(queued["status"], "QUEUED")
        self.assertIsNone(queued["node_id"])
        self.assertEqual(run(CANCEL, namespace, job_id=queued["job_id"]), "")
        self.assertEqual(client.get_job(queued["job_id"])["status"], "CANCELLED")
        self.assertTrue(re.fullmatch(UUID, result["job_id"]))
