/**
 * A render of an uploaded scene with the real Blender: tasks per frame range, outputs per frame
 * downloaded and checked, the ZIP result. Runs when RENDERTRUST_TEST_BLENDER names Blender (the
 * e2e TypeScriptSdkIT sets it and its agent offers render); the scene is made by Blender itself
 * with the agent's test script (node-agent/src/test/resources/blender/gen_scenes.py).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fundedClient } from "./support.js";

const BLENDER = process.env["RENDERTRUST_TEST_BLENDER"];
/** sdk-ts/dist/test → the repository root */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PNG = [0x89, 0x50, 0x4e, 0x47];

describe("render", { skip: BLENDER ? false : "RENDERTRUST_TEST_BLENDER is not set" }, () => {
  it("renders frames 1-2 of an uploaded scene, one task a frame, and downloads every frame and the ZIP", async () => {
    const work = await mkdtemp(join(tmpdir(), "sdk-ts-render-"));
    const { client } = await fundedClient("render");
    try {
      await promisify(execFile)(BLENDER!, ["-b", "--factory-startup", "--python-exit-code", "1", "--python",
        join(ROOT, "node-agent/src/test/resources/blender/gen_scenes.py"), "--", work], { timeout: 180_000 });
      const scene = await client.uploadFile(join(work, "animation.blend"), { contentType: "application/x-blender" });
      assert.equal(scene.status, "READY");

      const submitted = await client.submitJob({ jobType: "render", inputId: scene.id, payload: {
        frame_start: 1, frame_end: 2, frames_per_task: 1, resolution_x: 64, resolution_y: 48, samples: 1,
        engine: "CYCLES", format: "PNG",
      } });
      const job = await client.waitForJob(submitted.jobId, { waitMs: 300_000 });
      assert.equal(job.status, "COMPLETED", job.errorMessage);
      assert.deepEqual([job.framesTotal, job.framesDone, job.tasksTotal, job.tasksDone], [2, 2, 2, 2]);

      const tasks = await client.listJobTasks(job.id);
      assert.deepEqual(tasks.map((task) => [task.index, task.frameStart, task.frameEnd, task.status]),
        [[0, 1, 1, "COMPLETED"], [1, 2, 2, "COMPLETED"]]);
      const { outputs } = await client.listJobOutputs(job.id);
      assert.deepEqual(outputs.map((output) => output.frame), [1, 2]);

      const frames = await client.downloadFrames(job.id, join(work, "frames"));
      assert.equal(frames.length, 2);
      for (const [i, frame] of frames.entries()) {
        const bytes = await readFile(frame);
        assert.deepEqual([...bytes.subarray(0, 4)], PNG, `${frame} is a PNG`);
        assert.equal(BigInt(bytes.length), outputs[i]!.sizeBytes);
      }
      const zip = await client.downloadResultBytes(job.id);
      assert.deepEqual([...zip.subarray(0, 2)], [0x50, 0x4b], "the result is a ZIP");
    } finally {
      client.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
