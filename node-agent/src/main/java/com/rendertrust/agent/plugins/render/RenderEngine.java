package com.rendertrust.agent.plugins.render;

/** The engines a render payload may ask for, by the contract's names. */
enum RenderEngine {
  CYCLES,
  BLENDER_EEVEE,
  BLENDER_WORKBENCH;

  /** The identifier the installed Blender knows this engine by: 4.2 and later call EEVEE {@code BLENDER_EEVEE_NEXT}. */
  String blenderName(BlenderVersion version) {
    if (this == BLENDER_EEVEE && version.atLeast(4, 2)) {
      return "BLENDER_EEVEE_NEXT";
    }
    return name();
  }
}
