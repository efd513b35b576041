package com.rendertrust.agent.plugins.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Engine names follow the installed Blender's version, read from {@code blender --version}. */
class BlenderNamesTest {

  @Test
  void theVersionIsReadFromBlendersVersionOutput() {
    assertThat(BlenderVersion.parse("Blender 3.4.1\n\tbuild date: 2023-02-05\n")).contains(new BlenderVersion(3, 4));
    assertThat(BlenderVersion.parse("Color management: using fallback mode\nBlender 4.2.3 LTS\n")).contains(new BlenderVersion(4, 2));
    assertThat(BlenderVersion.parse("blender: command not found")).isEqualTo(Optional.empty());
  }

  @Test
  void eeveeIsBlenderEeveeNextFromBlender42AndTheOtherEnginesKeepTheirNames() {
    assertThat(RenderEngine.BLENDER_EEVEE.blenderName(new BlenderVersion(3, 4))).isEqualTo("BLENDER_EEVEE");
    assertThat(RenderEngine.BLENDER_EEVEE.blenderName(new BlenderVersion(4, 1))).isEqualTo("BLENDER_EEVEE");
    assertThat(RenderEngine.BLENDER_EEVEE.blenderName(new BlenderVersion(4, 2))).isEqualTo("BLENDER_EEVEE_NEXT");
    assertThat(RenderEngine.BLENDER_EEVEE.blenderName(new BlenderVersion(4, 5))).isEqualTo("BLENDER_EEVEE_NEXT");
    assertThat(RenderEngine.CYCLES.blenderName(new BlenderVersion(4, 5))).isEqualTo("CYCLES");
    assertThat(RenderEngine.BLENDER_WORKBENCH.blenderName(new BlenderVersion(4, 2))).isEqualTo("BLENDER_WORKBENCH");
  }
}
