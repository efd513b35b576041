package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The packaged strict_json.lua on LuaJ (see {@link LuaFilter} for the Lua 5.1 restrictions):
 * the Envoy path reads request bodies as strictly as the in-process edge (issue 21, finding 6),
 * and the filter runs before the transcoder on every route but the Connect stream.
 */
class StrictJsonLuaTest {

  private static final String SOURCE = "/envoy/lua/strict_json.lua";

  private final LuaValue check;

  StrictJsonLuaTest() {
    Globals globals = LuaFilter.lua51Globals();
    globals.load(EnvoyConfig.resource(SOURCE), "strict_json.lua").call();
    check = globals.get("strict_json_check");
  }

  /** Body escapes: {@code <xHH>} is the raw byte HH. Expected "ok", or the status and a detail fragment. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "{\"amount\":\"10.0000\",\"reference_id\":\"r\"}|ok|",
      "{\"payload\":{\"a\":[1,2.5,-3e2,true,false,null,\"\\u00e9\\ud83d\\ude00\"]}}|ok|",
      "  {}  |ok|",
      "{\"k\":\"e\u0301 caf\u00e9 \u65e5\u672c\"}|ok|",
      "{\"amount\":\"0.0001\",\"amount\":\"50\"}|400|duplicate",
      "{\"a\":{\"b\":1,\"b\":2}}|400|duplicate",
      "{\"a\":1,\"\\u0061\":2}|400|duplicate",
      "{\"a\":1} trailing|400|nothing after it",
      "{\"a\":1}{\"a\":2}|400|nothing after it",
      "{\"a\":1} {}|400|nothing after it",
      "{\"a\":1,}|400|not well-formed",
      "{'a':1}|400|not well-formed",
      "{\"a\":NaN}|400|not well-formed",
      "{\"a\":01}|400|not well-formed",
      "{\"a\":1-2}|400|not well-formed",
      "{\"a\":\"unterminated}|400|not well-formed",
      "{\"a\":\"tab<x09>raw\"}|400|not well-formed",
      "{\"a\":\"\\x\"}|400|not well-formed",
      "[1]|400|JSON object",
      "\"text\"|400|JSON object",
      "{\"a\":\"<xFF>\"}|400|UTF-8",
      "{\"a\":\"<xC3><x28>\"}|400|UTF-8",
      "{\"a\":\"<xED><xA0><x80>\"}|400|UTF-8",
      "{\"a\":\"<xC0><xAF>\"}|400|UTF-8",
      "{\"a\":\"<xF4><x90><x80><x80>\"}|400|UTF-8",
      "{\"a\":\"<xE2><x82>\"}|400|UTF-8",
      "{\"a\":\"x\\u0000\"}|422|U+0000",
      "{\"a\\u0000\":1}|422|U+0000",
      "{\"a\":\"\\ud800\"}|422|lone surrogate",
      "{\"a\":\"\\udc00x\"}|422|lone surrogate",
      "{\"a\":\"\\ud800\\u0041\"}|422|lone surrogate",
      "{\"\\udfff\":1}|400|not well-formed",
  })
  void readsBodiesStrictly(String body, String expected, String detail) {
    Varargs result = check.invoke(LuaString.valueOf(bytes(body)));
    if ("ok".equals(expected)) {
      assertThat(result.arg1().isnil()).as(body + " -> " + result.arg(2)).isTrue();
      return;
    }
    assertThat(result.arg1().toint()).as(body).isEqualTo(Integer.parseInt(expected));
    assertThat(result.arg(2).tojstring()).as(body).contains(detail);
  }

  @Test
  void deepNestingIsBoundedWithoutExhaustingTheLuaStack() {
    Varargs deep = check.invoke(LuaValue.valueOf("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}"));
    assertThat(deep.arg1().toint()).isEqualTo(422);
    assertThat(check.invoke(LuaValue.valueOf("{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}")).arg1().isnil())
        .as("within the guard: the server's 32-level rule decides, naming the field").isTrue();
  }

  @Test
  void runsBeforeTheTranscoderAndNeverOnTheConnectStream() {
    HttpConnectionManager manager = EnvoyConfig.connectionManager(EnvoyConfig.packaged());
    List<String> names = EnvoyConfig.httpFilterNames(manager);
    assertThat(names).contains("rendertrust.strict_json_bodies");
    assertThat(names.indexOf("rendertrust.strict_json_bodies"))
        .isLessThan(names.indexOf("envoy.filters.http.lua"))
        .isLessThan(names.indexOf("envoy.filters.http.grpc_json_transcoder"))
        .isGreaterThan(names.indexOf("envoy.filters.http.buffer"));
    Lua lua = EnvoyConfig.httpFilter(manager, "rendertrust.strict_json_bodies", Lua.class);
    assertThat(lua.getDefaultSourceCode().getFilename()).isEqualTo("/etc/envoy/lua/strict_json.lua");
    assertThat(EnvoyConfig.resource(SOURCE)).as("packaged next to rest_status.lua").isEqualTo(
        new String(readSource(), StandardCharsets.UTF_8));
    Route connect = manager.getRouteConfig().getVirtualHostsList().stream()
        .flatMap(host -> host.getRoutesList().stream())
        .filter(route -> route.getMatch().getPath().equals("/rendertrust.v1.NodeService/Connect"))
        .findFirst().orElseThrow();
    assertThat(connect.getTypedPerFilterConfigMap()).containsKey("rendertrust.strict_json_bodies");
  }

  private static byte[] readSource() {
    try {
      return java.nio.file.Files.readAllBytes(java.nio.file.Path.of("src/main/lua/strict_json.lua"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] bytes(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < text.length()) {
      if (text.startsWith("<x", i) && text.length() >= i + 5 && text.charAt(i + 4) == '>') {
        out.write(Integer.parseInt(text.substring(i + 2, i + 4), 16));
        i += 5;
      } else {
        int cp = text.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    return out.toByteArray();
  }
}
