# RenderTrust's override script. Blender runs it (--python) after loading the scene and before
# rendering, so the job's payload decides resolution, samples and engine, whatever the scene says.
# Its settings come from the JSON file named after "--" on Blender's command line: nothing from a
# payload ever becomes Python code. Scripts embedded in the scene stay disabled (-Y).
import json
import sys

import bpy

settings_path = sys.argv[sys.argv.index("--") + 1]
with open(settings_path, encoding="utf-8") as settings_file:
    settings = json.load(settings_file)

scene = bpy.context.scene
render = scene.render

if "engine" in settings:
    engine = settings["engine"]
    try:
        render.engine = engine
    except TypeError:
        # EEVEE is BLENDER_EEVEE_NEXT in Blender 4.2 to 4.x and BLENDER_EEVEE before and after:
        # when the version-based name is not this build's, the other one is.
        alternatives = {"BLENDER_EEVEE_NEXT": "BLENDER_EEVEE", "BLENDER_EEVEE": "BLENDER_EEVEE_NEXT"}
        if engine not in alternatives:
            raise
        render.engine = alternatives[engine]

if "resolution_x" in settings:
    render.resolution_x = settings["resolution_x"]
if "resolution_y" in settings:
    render.resolution_y = settings["resolution_y"]
render.resolution_percentage = settings["resolution_percentage"]

# One finished file per frame, written over anything there: no placeholders (empty files that
# would be uploaded as frames) and no stereo pairs (two files per frame).
render.use_overwrite = True
render.use_placeholder = False
render.use_multiview = False

if render.engine == "CYCLES":
    # Denoising stays off: every node must render the same image for a frame, and Debian's
    # Blender is built without OpenImageDenoise ("Build without OpenImageDenoiser" fails the render).
    scene.cycles.use_denoising = False
    for view_layer in scene.view_layers:
        layer_settings = getattr(view_layer, "cycles", None)
        if layer_settings is not None and hasattr(layer_settings, "use_denoising"):
            layer_settings.use_denoising = False
    if "samples" in settings:
        scene.cycles.samples = settings["samples"]
elif render.engine in ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"):
    if "samples" in settings:
        scene.eevee.taa_render_samples = settings["samples"]

print("RenderTrust override: engine %s, %dx%d at %d%%%s" % (
    render.engine, render.resolution_x, render.resolution_y, render.resolution_percentage,
    ", %d samples" % scene.cycles.samples if render.engine == "CYCLES" else ""))
