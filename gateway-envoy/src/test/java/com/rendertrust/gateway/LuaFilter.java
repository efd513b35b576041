package com.rendertrust.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * The packaged rest_status.lua running on LuaJ (a Lua 5.2 interpreter) behind a fake Envoy
 * stream handle (test resource lua/fake_envoy.lua). Lua 5.2-only library functions are removed
 * so that code LuaJIT (Envoy's runtime, Lua 5.1) would not have fails here too.
 */
final class LuaFilter {

  static final String PACKAGED_SOURCE = "/envoy/lua/rest_status.lua";

  /** One header as Envoy keeps it: lowercase name, string value. */
  record Header(String name, String value) {
  }

  /** What the filter left for the next filter: headers in order and the body (empty if none). */
  record Response(List<Header> headers, byte[] body) {
    Optional<String> header(String name) {
      return headers.stream().filter(h -> h.name().equals(name)).map(Header::value).findFirst();
    }

    int status() {
      return Integer.parseInt(header(":status").orElseThrow());
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final LuaValue respond;

  LuaFilter() {
    Globals globals = lua51Globals();
    globals.load(EnvoyConfig.resource(PACKAGED_SOURCE), "rest_status.lua").call();
    LuaValue fake = globals.load(EnvoyConfig.resource("/lua/fake_envoy.lua"), "fake_envoy.lua").call();
    respond = fake.get("respond");
  }

  /** LuaJ's standard globals without the Lua 5.2-only functions LuaJIT (Envoy's Lua 5.1) lacks. */
  static Globals lua51Globals() {
    Globals globals = JsePlatform.standardGlobals();
    for (String lua52Only : new String[] {"bit32", "rawlen"}) {
      globals.set(lua52Only, LuaValue.NIL);
    }
    globals.get("table").set("pack", LuaValue.NIL);
    globals.get("table").set("unpack", LuaValue.NIL);
    return globals;
  }

  /** Runs envoy_on_response on a response with these headers and body (null: no body at all). */
  Response onResponse(List<Header> headers, byte[] body) {
    LuaTable pairs = new LuaTable();
    for (int i = 0; i < headers.size(); i++) {
      pairs.set(i + 1, LuaValue.listOf(new LuaValue[] {
          LuaValue.valueOf(headers.get(i).name()), LuaValue.valueOf(headers.get(i).value())}));
    }
    Varargs result = respond.invoke(pairs, body == null ? LuaValue.NIL : LuaValue.valueOf(body));
    List<Header> out = new ArrayList<>();
    LuaTable outHeaders = result.arg(1).checktable();
    for (int i = 1; i <= outHeaders.length(); i++) {
      LuaTable pair = outHeaders.get(i).checktable();
      out.add(new Header(pair.get(1).tojstring(), pair.get(2).tojstring()));
    }
    return new Response(out, result.arg(2).isnil() ? new byte[0] : bytes(result.arg(2).checkstring()));
  }

  private static byte[] bytes(LuaString text) {
    byte[] copy = new byte[text.rawlen()];
    text.copyInto(0, copy, 0, copy.length);
    return copy;
  }
}
