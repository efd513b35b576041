-- A stand-in for the parts of Envoy's Lua stream handle that rest_status.lua uses, strict where
-- Envoy is strict: header names are case-insensitive and values must be strings, get() joins
-- repeated values with ",", body() is nil for an empty body unless always_wrap_body, and
-- getBytes(index, length) is 0-based and may not read past the end.

local Headers = {}
Headers.__index = Headers

local function check_string(what, value)
  if type(value) ~= "string" then
    error(what .. " must be a string, got " .. type(value), 3)
  end
end

function Headers:add(name, value)
  check_string("header name", name)
  check_string("header value", value)
  self.entries[#self.entries + 1] = { string.lower(name), value }
end

function Headers:get(name)
  check_string("header name", name)
  local wanted = string.lower(name)
  local values = {}
  for _, entry in ipairs(self.entries) do
    if entry[1] == wanted then
      values[#values + 1] = entry[2]
    end
  end
  if #values == 0 then
    return nil
  end
  return table.concat(values, ",")
end

function Headers:remove(name)
  check_string("header name", name)
  local wanted = string.lower(name)
  local kept = {}
  for _, entry in ipairs(self.entries) do
    if entry[1] ~= wanted then
      kept[#kept + 1] = entry
    end
  end
  self.entries = kept
end

function Headers:replace(name, value)
  check_string("header value", value)
  self:remove(name)
  self:add(name, value)
end

local Buffer = {}
Buffer.__index = Buffer

function Buffer:length()
  return #self.data
end

function Buffer:getBytes(index, length)
  if type(index) ~= "number" or type(length) ~= "number" or index < 0 or length < 0
      or index + length > #self.data then
      error("index/length must be >= 0 and (index + length) must be <= buffer size", 2)
  end
  return string.sub(self.data, index + 1, index + length)
end

function Buffer:setBytes(data)
  check_string("body", data)
  self.data = data
end

local fake = {}

-- header_pairs: array of {name, value}; body: string or nil (no body at all)
function fake.respond(header_pairs, body)
  local headers = setmetatable({ entries = {} }, Headers)
  for _, pair in ipairs(header_pairs) do
    headers:add(pair[1], pair[2])
  end
  local buffer = nil
  if body ~= nil then
    buffer = setmetatable({ data = body }, Buffer)
  end
  local handle = {}
  function handle:headers()
    return headers
  end
  function handle:body(always_wrap_body)
    if buffer == nil or buffer.data == "" then
      if not always_wrap_body then
        return nil
      end
      if buffer == nil then
        buffer = setmetatable({ data = "" }, Buffer)
      end
    end
    return buffer
  end
  function handle:logDebug(message) end
  function handle:logInfo(message) end
  function handle:logWarn(message) end
  function handle:logErr(message) end

  envoy_on_response(handle)

  local out_headers = {}
  for _, entry in ipairs(headers.entries) do
    out_headers[#out_headers + 1] = { entry[1], entry[2] }
  end
  local out_body = nil
  if buffer ~= nil then
    out_body = buffer.data
  end
  return out_headers, out_body
end

return fake
