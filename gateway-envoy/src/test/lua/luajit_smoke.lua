-- A manual check under LuaJIT, Envoy's Lua runtime (the JVM tests use LuaJ, a Lua 5.2
-- interpreter). Not part of the Maven build, which cannot assume a luajit binary:
--   cd gateway-envoy && luajit src/test/lua/luajit_smoke.lua
-- (Debian: apt-get install luajit). Prints "luajit smoke: 8 checks passed" or fails an assert.
dofile("src/main/lua/rest_status.lua")
local fake = dofile("src/test/resources/lua/fake_envoy.lua")

local function header(headers, name)
  for _, entry in ipairs(headers) do
    if entry[1] == name then
      return entry[2]
    end
  end
  return nil
end

local checks = 0
local function check(label, headers, body, status, expected_body, extra)
  local out_headers, out_body = fake.respond(headers, body)
  assert(header(out_headers, ":status") == status, label .. ": status " .. tostring(header(out_headers, ":status")))
  if expected_body ~= nil then
    assert(out_body == expected_body, label .. ": body " .. tostring(out_body))
  end
  if extra ~= nil then
    extra(out_headers)
  end
  checks = checks + 1
end

local credits = '{"code":9,"message":"insufficient \\"credits\\" \\u00fc \\ud83d\\ude00","details":[{"@type":'
  .. '"type.googleapis.com/google.rpc.ErrorInfo","reason":"INSUFFICIENT_CREDITS","domain":"rendertrust.com",'
  .. '"metadata":{"requested":"10.0000","available":"5.0000"}}]}'
check("402 with extras and escapes",
  { { ":status", "400" }, { "content-type", "application/json" }, { "x-http-status", "402" } }, credits, "402",
  '{"detail":"insufficient \\"credits\\" \195\188 \240\159\152\128","available":"5.0000","requested":"10.0000"}')

local limited = '{ "code": 8, "message": "slow down", "details": [ { "@type": "type.googleapis.com/google.rpc.ErrorInfo",'
  .. ' "reason": "RATE_LIMITED", "domain": "rendertrust.com", "metadata": { "retry_after_seconds": "42" } } ] }'
check("429 with Retry-After", { { ":status", "429" }, { "content-type", "application/json" } }, limited, "429",
  '{"detail":"slow down","retry_after_seconds":"42"}',
  function(headers) assert(header(headers, "retry-after") == "42", "retry-after") end)

check("501 without ErrorInfo", { { ":status", "501" }, { "content-type", "application/json" } },
  '{"code":12,"message":"Method not found","details":[]}', "501", '{"detail":"not implemented yet"}')
check("unknown reason is 500", { { ":status", "400" }, { "content-type", "application/json" } },
  '{"code":9,"message":"newer","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"X_NEW"}]}',
  "500", '{"detail":"newer"}')
check("201 creation", { { ":status", "200" }, { "content-type", "application/json" }, { "x-http-status", "201" } },
  '{"node_id":"n1"}', "201", '{"node_id":"n1"}',
  function(headers) assert(header(headers, "x-http-status") == nil, "mark removed") end)
check("native gRPC untouched", { { ":status", "200" }, { "content-type", "application/grpc" }, { "x-http-status", "201" } },
  nil, "200", nil, function(headers) assert(header(headers, "x-http-status") == "201", "mark kept") end)
check("non-JSON error", { { ":status", "503" }, { "content-type", "text/plain" } }, "upstream connect error", "503",
  '{"detail":"service unavailable"}')
check("unconverted status", { { ":status", "400" }, { "content-type", "application/grpc" }, { "grpc-status", "9" },
  { "grpc-message", "not%20enough" }, { "x-http-status", "402" } }, nil, "402", '{"detail":"not enough"}')

print("luajit smoke: " .. checks .. " checks passed")
