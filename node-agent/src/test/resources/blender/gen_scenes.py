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


def save(name, engine, samples, width, height, percentage):
    scene.render.engine = engine
    scene.cycles.samples = samples
    scene.render.resolution_x = width
    scene.render.resolution_y = height
    scene.render.resolution_percentage = percentage
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out_dir, name))


# animation.blend: what a creator might upload. The payload must change all of it: the engine
# (Workbench here, Cycles asked), the size (160x120 here, 64x48 asked) and the samples (64 here, 1 asked).
save("animation.blend", "BLENDER_WORKBENCH", 64, 320, 240, 50)

# still.blend: ready to render as it is (Cycles, 64x48, 1 sample), for payloads that set nothing.
save("still.blend", "CYCLES", 1, 64, 48, 100)
