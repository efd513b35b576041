# Generates the test scenes with Blender itself: blender -b --factory-startup --python gen_scenes.py -- OUT_DIR
# Both keep Cycles denoising ON, which Debian's Blender cannot do ("Build without OpenImageDenoiser"):
# they only render because the agent's override script turns it off.
import os
import sys

import bpy

out_dir = sys.argv[sys.argv.index("--") + 1]
scene = bpy.context.scene
cube = bpy.data.objects["Cube"]
cube.location.x = -1
cube.keyframe_insert("location", frame=1)
cube.location.x = 1
cube.keyframe_insert("location", frame=4)
scene.frame_start = 1
scene.frame_end = 250
scene.cycles.use_denoising = True

# animation.blend: what a creator might upload. The payload must change all of it: the engine
# (Workbench here, Cycles asked), the size (160x120 here, 64x48 asked) and the samples (64 here, 1 asked).
scene.render.engine = "BLENDER_WORKBENCH"
scene.cycles.samples = 64
scene.render.resolution_x = 320
scene.render.resolution_y = 240
scene.render.resolution_percentage = 50
bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out_dir, "animation.blend"))

# still.blend: ready to render as it is (Cycles, 64x48, 1 sample), for payloads that set nothing.
scene.render.engine = "CYCLES"
scene.cycles.samples = 1
scene.render.resolution_x = 64
scene.render.resolution_y = 48
scene.render.resolution_percentage = 100
bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out_dir, "still.blend"))
