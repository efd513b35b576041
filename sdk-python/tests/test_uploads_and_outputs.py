"""Uploads (streamed, SHA-256 declared), a render of the uploaded scene by the real Blender, its
tasks and frames downloaded and checked, and the upload errors (404 foreign, 409 incomplete,
409 in use) as typed exceptions."""

import hashlib
import os
import subprocess
import tempfile
import unittest
import uuid

from rendertrust import ConflictError, NotFoundError, OutputMismatchError
from rendertrust import _transfers
from rendertrust.v1 import upload_service_pb2 as upload_pb

from tests import support

# A 64x48 Cycles scene of frames 1-2 (the factory cube, turning), made by Blender itself.
SCENE_SCRIPT = """
import bpy, sys
out = sys.argv[sys.argv.index('--') + 1]
scene = bpy.context.scene
scene.render.engine = 'CYCLES'
scene.cycles.samples = 1
scene.render.resolution_x = 64
scene.render.resolution_y = 48
scene.frame_start = 1
scene.frame_end = 2
cube = bpy.data.objects['Cube']
for frame, angle in ((1, 0.0), (2, 0.5)):
    cube.rotation_euler[2] = angle
    cube.keyframe_insert(data_path='rotation_euler', frame=frame)
bpy.ops.wm.save_as_mainfile(filepath=out)
"""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sha256_of(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


class UploadsAndOutputsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.client, _ = support.fresh_client("uploads")
        support.buy_credits(cls.client)
        support.wait_until("credits", lambda: cls.client.get_balance()["balance"] != "0.0000")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.work.cleanup()

    def make_scene(self):
        script, scene = os.path.join(self.work.name, "make_scene.py"), os.path.join(self.work.name, "cube.blend")
        with open(script, "w") as out:
            out.write(SCENE_SCRIPT)
        subprocess.run(["blender", "-b", "--factory-startup", "--python", script, "--", scene], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
        return scene

    def test_an_uploaded_scene_renders_and_its_frames_download_checked(self):
        scene = self.make_scene()
        upload = self.client.upload(scene, content_type="application/x-blender")
        self.assertEqual(upload["status"], "READY")
        self.assertEqual((upload["filename"], int(upload["size_bytes"]), upload["sha256"]),
                         ("cube.blend", os.path.getsize(scene), sha256_of(scene)))
        self.assertEqual(self.client.get_upload(upload["id"]), upload)
        self.assertIn(upload["id"], [listed["id"] for listed in self.client.list_uploads()])

        job = self.client.submit_job(job_type="render", input_id=upload["id"], payload={
            "frame_start": 1, "frame_end": 2, "frames_per_task": 1, "resolution_x": 64, "resolution_y": 48,
            "samples": 1, "engine": "CYCLES", "format": "PNG"})
        with self.assertRaises(ConflictError) as in_use:
            self.client.delete_upload(upload["id"])
        self.assertEqual((in_use.exception.reason, in_use.exception.http_status), ("UPLOAD_IN_USE", 409))

        done = self.client.wait_for_job(job["job_id"], timeout=300)
        self.assertEqual(done["status"], "COMPLETED", done)
        tasks = self.client.list_job_tasks(job["job_id"])
        self.assertEqual([(task["index"], task["frame_start"], task["frame_end"], task["status"]) for task in tasks],
                         [(0, 1, 1, "COMPLETED"), (1, 2, 2, "COMPLETED")])
        outputs = self.client.list_job_outputs(job["job_id"])
        self.assertEqual([output["frame"] for output in outputs], [1, 2])

        frames = os.path.join(self.work.name, "frames")
        paths = self.client.download_outputs(job["job_id"], frames)
        self.assertEqual([os.path.basename(path) for path in paths], [output["name"] for output in outputs])
        for path, output in zip(paths, outputs):
            with open(path, "rb") as frame:
                self.assertEqual(frame.read(8), PNG_MAGIC)
            self.assertEqual(sha256_of(path), output["sha256"])
            self.assertEqual(os.path.getsize(path), int(output["size_bytes"]))

        # a download that does not match the listing is refused and not kept
        target = os.path.join(self.work.name, "tampered.png")
        with self.assertRaises(OutputMismatchError) as mismatch:
            _transfers.download(outputs[0]["download_url"], target, 30, expected_sha256="0" * 64)
        self.assertEqual(mismatch.exception.reason, "OUTPUT_MISMATCH")
        self.assertFalse(os.path.exists(target))

        self.assertEqual(self.client.delete_upload(upload["id"])["status"], "DELETED")

    def test_upload_errors_are_typed(self):
        with self.assertRaises(NotFoundError) as missing:
            self.client.get_upload(str(uuid.uuid4()))
        self.assertEqual((missing.exception.reason, missing.exception.http_status), ("NOT_FOUND", 404))

        # declared, but its bytes never PUT: completing it is 409 UPLOAD_INCOMPLETE
        declared = self.client._call(self.client._uploads.CreateUpload, upload_pb.CreateUploadRequest(
            filename="never.bin", size_bytes=3, sha256=hashlib.sha256(b"abc").hexdigest()))
        with self.assertRaises(ConflictError) as incomplete:
            self.client.complete_upload(declared.upload.id)
        self.assertEqual((incomplete.exception.reason, incomplete.exception.http_status), ("UPLOAD_INCOMPLETE", 409))

        other, _ = support.fresh_client("uploads-other")
        with other:
            path = os.path.join(self.work.name, "mine.txt")
            with open(path, "wb") as out:
                out.write(b"only mine")
            theirs = other.upload(path)
            self.assertEqual(theirs["content_type"], "text/plain")
            with self.assertRaises(NotFoundError):
                self.client.get_upload(theirs["id"])
            with self.assertRaises(NotFoundError):
                self.client.delete_upload(theirs["id"])
            self.assertEqual(other.get_upload(theirs["id"])["status"], "READY")
