-- Strict reading of REST request bodies at the Envoy edge, before the gRPC-JSON transcoder,
-- whose parser is lenient (see docs/security.md, "Request bodies"). The same rules as the
-- server's in-process edge (platform.http.JsonBodyRules):
--   400  the body is not valid UTF-8, is not one JSON object, has trailing data or a second
--        value, or repeats a key in any object (a proxy and the server must read one amount);
--   422  a string or key holds U+0000 or a lone surrogate, or the body nests deeper than the
--        parser's guard (the server refuses values deeper than 32 levels, naming the field).
-- What needs the contract's types (a number sent for a string field...) is left to the
-- transcoder and the server. Written for LuaJIT (Lua 5.1): no goto, no bit ops, no utf8 lib.

local MAX_DEPTH = 64

local function fail(status, detail)
  error({ status = status, detail = detail }, 0)
end

-- RFC 3629 UTF-8: no overlongs, no encoded surrogates, nothing above U+10FFFF.
local function check_utf8(s)
  local i, n = 1, #s
  local byte = string.byte
  while i <= n do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local need, lo, hi = 0, 0x80, 0xBF
      if c >= 0xC2 and c <= 0xDF then need = 1
      elseif c == 0xE0 then need, lo = 2, 0xA0
      elseif (c >= 0xE1 and c <= 0xEC) or c == 0xEE or c == 0xEF then need = 2
      elseif c == 0xED then need, hi = 2, 0x9F
      elseif c == 0xF0 then need, lo = 3, 0x90
      elseif c >= 0xF1 and c <= 0xF3 then need = 3
      elseif c == 0xF4 then need, hi = 3, 0x8F
      else fail(400, "the request body is not valid UTF-8") end
      for k = 1, need do
        local d = byte(s, i + k)
        local first = k == 1
        if d == nil or d < (first and lo or 0x80) or d > (first and hi or 0xBF) then
          fail(400, "the request body is not valid UTF-8")
        end
      end
      i = i + need + 1
    end
  end
end

local function utf8_of(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
  end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
    0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local Parser = {}
Parser.__index = Parser

function Parser:skip_space()
  local _, last = string.find(self.s, "^[ \t\r\n]*", self.i)
  self.i = last + 1
end

function Parser:malformed()
  fail(400, "the request body is not well-formed JSON")
end

function Parser:hex4()
  local digits = string.match(self.s, "^%x%x%x%x", self.i)
  if not digits then self:malformed() end
  self.i = self.i + 4
  return tonumber(digits, 16)
end

-- Returns the decoded string (used to find duplicate keys); self.i is on the opening quote.
-- A lone surrogate is 422 in a value, but malformed (400) in a key, as the server's parser reads it.
function Parser:lone_surrogate(is_key)
  if is_key then self:malformed() end
  fail(422, "a string in the request body must be valid Unicode (no lone surrogate)")
end

function Parser:string(is_key)
  self.i = self.i + 1
  local parts = {}
  while true do
    local start = self.i
    local stop = string.find(self.s, '["\\%z\1-\31]', start)
    if not stop then self:malformed() end
    parts[#parts + 1] = string.sub(self.s, start, stop - 1)
    local c = string.sub(self.s, stop, stop)
    self.i = stop + 1
    if c == '"' then
      return table.concat(parts)
    elseif c == "\\" then
      local e = string.sub(self.s, self.i, self.i)
      self.i = self.i + 1
      local simple = ({ ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" })[e]
      if simple then
        parts[#parts + 1] = simple
      elseif e == "u" then
        local cp = self:hex4()
        if cp == 0 then fail(422, "a string in the request body must not contain U+0000") end
        if cp >= 0xDC00 and cp <= 0xDFFF then
          self:lone_surrogate(is_key)
        end
        if cp >= 0xD800 and cp <= 0xDBFF then
          if string.sub(self.s, self.i, self.i + 1) ~= "\\u" then
            self:lone_surrogate(is_key)
          end
          self.i = self.i + 2
          local low = self:hex4()
          if low < 0xDC00 or low > 0xDFFF then
            self:lone_surrogate(is_key)
          end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (low - 0xDC00)
        end
        parts[#parts + 1] = utf8_of(cp)
      else
        self:malformed()
      end
    else
      self:malformed() -- a raw control character (U+0000 included) inside a string
    end
  end
end

function Parser:value(depth)
  self:skip_space()
  local c = string.sub(self.s, self.i, self.i)
  if c == "{" or c == "[" then
    if depth + 1 > MAX_DEPTH then
      fail(422, "the request body nests deeper than 32 levels of objects and arrays")
    end
    if c == "{" then self:object(depth + 1) else self:array(depth + 1) end
  elseif c == '"' then
    self:string()
  else
    local literal = string.match(self.s, "^-?%d+%.?%d*[eE]?[-+]?%d*", self.i)
        or string.match(self.s, "^true", self.i) or string.match(self.s, "^false", self.i)
        or string.match(self.s, "^null", self.i)
    if not literal or (string.find(literal, "^%-?%d") and not (
        string.find(literal, "^-?0$") or string.find(literal, "^-?[1-9]%d*$")
        or string.find(literal, "^-?0%.%d+$") or string.find(literal, "^-?[1-9]%d*%.%d+$")
        or string.find(literal, "^-?0[eE][-+]?%d+$") or string.find(literal, "^-?[1-9]%d*[eE][-+]?%d+$")
        or string.find(literal, "^-?0%.%d+[eE][-+]?%d+$") or string.find(literal, "^-?[1-9]%d*%.%d+[eE][-+]?%d+$"))) then
      self:malformed()
    end
    self.i = self.i + #literal
  end
end

function Parser:object(depth)
  self.i = self.i + 1
  local keys = {}
  self:skip_space()
  if string.sub(self.s, self.i, self.i) == "}" then
    self.i = self.i + 1
    return
  end
  while true do
    self:skip_space()
    if string.sub(self.s, self.i, self.i) ~= '"' then self:malformed() end
    local key = self:string(true)
    if keys[key] then
      fail(400, "duplicate key in the request body")
    end
    keys[key] = true
    self:skip_space()
    if string.sub(self.s, self.i, self.i) ~= ":" then self:malformed() end
    self.i = self.i + 1
    self:value(depth)
    self:skip_space()
    local c = string.sub(self.s, self.i, self.i)
    self.i = self.i + 1
    if c == "}" then return end
    if c ~= "," then self:malformed() end
  end
end

function Parser:array(depth)
  self.i = self.i + 1
  self:skip_space()
  if string.sub(self.s, self.i, self.i) == "]" then
    self.i = self.i + 1
    return
  end
  while true do
    self:value(depth)
    self:skip_space()
    local c = string.sub(self.s, self.i, self.i)
    self.i = self.i + 1
    if c == "]" then return end
    if c ~= "," then self:malformed() end
  end
end

-- nil when the body is acceptable, else the status (400 or 422) and a client-safe detail.
function strict_json_check(body)
  local ok, problem = pcall(function()
    check_utf8(body)
    local parser = setmetatable({ s = body, i = 1 }, Parser)
    parser:skip_space()
    if parser.i > #body then
      return -- no body: every field keeps its default
    end
    if string.sub(body, parser.i, parser.i) ~= "{" then
      fail(400, "the request body must be a JSON object")
    end
    parser:value(0)
    parser:skip_space()
    if parser.i <= #body then
      fail(400, "the request body must be one JSON object with nothing after it")
    end
  end)
  if ok then
    return nil
  end
  if type(problem) ~= "table" then
    return 400, "the request body is not well-formed JSON"
  end
  return problem.status, problem.detail
end

local function is_grpc(content_type)
  return string.find(string.lower(content_type), "^application/grpc") ~= nil
end

function envoy_on_request(handle)
  local headers = handle:headers()
  local content_type = headers:get("content-type") or ""
  local path = headers:get(":path") or ""
  if is_grpc(content_type) or string.find(path, "/api/v1/webhooks/", 1, true) == 1 then
    return -- gRPC streams and the raw-body webhook (its signature covers the exact bytes)
  end
  local method = headers:get(":method")
  if method == "GET" or method == "HEAD" or method == "OPTIONS" then
    return
  end
  local body = handle:body()
  if body == nil or body:length() == 0 then
    return
  end
  local status, detail = strict_json_check(body:getBytes(0, body:length()))
  if status then
    handle:respond({ [":status"] = tostring(status), ["content-type"] = "application/json" },
      '{"detail":"' .. detail .. '"}')
  end
end
