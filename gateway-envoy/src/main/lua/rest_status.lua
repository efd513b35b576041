-- rest_status.lua: the REST contract's status codes and error bodies at the Envoy edge.
--
-- Envoy's grpc_json_transcoder maps a gRPC status to a fixed HTTP code and, with
-- convert_grpc_status, writes the google.rpc.Status as the JSON body. The REST contract
-- (docs/API.md) wants more than that table can say: 201 for creations, 402/409/422/...
-- chosen by the ErrorInfo reason, and the body {"detail": "...", <ErrorInfo metadata>} with a
-- Retry-After header for rate limits. This filter makes those edits, exactly as the server's
-- in-process edge does (server/.../platform/http/RestErrorHandler.java and
-- RestResponseDecorator.java); both edges run the same fixture cases
-- (proto/src/test/resources/rest-edge).
--
-- It must sit BEFORE the transcoder in the HTTP filter list: encoders run in reverse order, so it
-- sees the transcoder's output (JSON body, mapped :status) and has the last word on it.
--
-- Envoy runs LuaJIT: this file uses Lua 5.1 only (no goto, no integer division, no bit ops,
-- no utf8 library). gateway-envoy's tests run it on a Lua interpreter against a fake handle.

-- BEGIN GENERATED REASON TABLE (RestStatusLuaTest renders it from rest-edge/reasons.json; do not edit by hand)
local HTTP_STATUS_BY_REASON = {
  INVALID_ARGUMENT = 400,
  VALIDATION_FAILED = 422,
  MALFORMED_REQUEST = 400,
  UNSUPPORTED_MEDIA_TYPE = 415,
  PAYLOAD_TOO_LARGE = 413,
  ROUTE_NOT_FOUND = 404,
  UNAUTHENTICATED = 401,
  INVALID_CREDENTIALS = 401,
  TOKEN_INVALID = 401,
  TOKEN_REVOKED = 401,
  CHALLENGE_FAILED = 401,
  PERMISSION_DENIED = 403,
  NODE_NOT_VERIFIED = 400,
  NOT_FOUND = 404,
  RESULT_NOT_AVAILABLE = 404,
  EMAIL_TAKEN = 409,
  IDEMPOTENCY_CONFLICT = 409,
  NOT_ANCHORED = 409,
  STALE_ASSIGNMENT = 409,
  NO_HEALTHY_NODE = 400,
  JOB_NOT_CANCELLABLE = 400,
  INSUFFICIENT_CREDITS = 402,
  UNKNOWN_PACKAGE = 422,
  WEBHOOK_SIGNATURE_INVALID = 400,
  RATE_LIMITED = 429,
  PAYMENTS_NOT_CONFIGURED = 503,
  DEPENDENCY_UNAVAILABLE = 503,
  HEARTBEAT_TIMEOUT = 503,
  UPLOAD_INCOMPLETE = 409,
  UPLOAD_MISMATCH = 422,
  QUOTA_EXCEEDED = 422,
  UPLOAD_IN_USE = 409,
  WALLET_TAKEN = 409,
  JOB_NOT_RETRYABLE = 400,
  JOB_NOT_REFUNDABLE = 409,
  JOB_NOT_REQUEUEABLE = 409,
  NOT_IMPLEMENTED = 501,
  INTERNAL = 500,
}
-- END GENERATED REASON TABLE

-- The server marks responses with the HTTP status the contract wants: a header on 201
-- creations, a trailer (a header too in a trailers-only response) on errors.
local MARK_HEADER = "x-http-status"
local ERROR_INFO_TYPE_SUFFIX = "/google.rpc.ErrorInfo"
local RETRY_AFTER_KEY = "retry_after_seconds"

-- The standard gRPC code -> HTTP table (google.rpc.Code), for failures without an ErrorInfo.
local HTTP_STATUS_BY_GRPC_CODE = {
  [0] = 200, [1] = 499, [2] = 500, [3] = 400, [4] = 504, [5] = 404, [6] = 409, [7] = 403,
  [8] = 429, [9] = 400, [10] = 409, [11] = 400, [12] = 501, [13] = 500, [14] = 503, [15] = 500,
  [16] = 401,
}
local GRPC_INVALID_ARGUMENT = 3
local GRPC_DEADLINE_EXCEEDED = 4
local GRPC_UNIMPLEMENTED = 12

-- Client-safe sentences for statuses that carry no server message (ErrorBodies.describe).
local DESCRIPTIONS = {
  [400] = "malformed request", [404] = "not found", [405] = "method not allowed",
  [408] = "request timed out", [413] = "request body too large",
  [415] = "unsupported media type: send application/json", [429] = "too many requests",
  [503] = "service unavailable",
}
local REASON_PHRASES = {
  [401] = "unauthorized", [402] = "payment required", [403] = "forbidden",
  [406] = "not acceptable", [409] = "conflict", [410] = "gone", [411] = "length required",
  [412] = "precondition failed", [414] = "uri too long", [422] = "unprocessable entity",
  [499] = "client closed request",
}

local function describe(status)
  if DESCRIPTIONS[status] ~= nil then
    return DESCRIPTIONS[status]
  end
  if status >= 500 then
    return "internal error"
  end
  return REASON_PHRASES[status] or "request failed"
end

---------------------------------------------------------------------------------------------
-- Minimal JSON (LuaJIT in Envoy ships no JSON library). Decodes what protobuf's JSON printer
-- writes (objects, arrays, strings with any escape, numbers, true/false/null); encodes strings.
---------------------------------------------------------------------------------------------

local JSON_NULL = {}

local function utf8_char(code_point)
  if code_point < 0x80 then
    return string.char(code_point)
  elseif code_point < 0x800 then
    return string.char(0xC0 + math.floor(code_point / 0x40), 0x80 + code_point % 0x40)
  elseif code_point < 0x10000 then
    return string.char(0xE0 + math.floor(code_point / 0x1000),
      0x80 + math.floor(code_point / 0x40) % 0x40, 0x80 + code_point % 0x40)
  end
  return string.char(0xF0 + math.floor(code_point / 0x40000),
    0x80 + math.floor(code_point / 0x1000) % 0x40,
    0x80 + math.floor(code_point / 0x40) % 0x40, 0x80 + code_point % 0x40)
end

local SIMPLE_ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local decode_value

local function skip_whitespace(text, position)
  local _, last = string.find(text, "^[ \t\r\n]*", position)
  return last + 1
end

local function decode_string(text, position)
  -- position is just past the opening quote
  local parts = {}
  while true do
    local stop = string.find(text, '["\\]', position)
    if stop == nil then
      error("unterminated string")
    end
    parts[#parts + 1] = string.sub(text, position, stop - 1)
    if string.sub(text, stop, stop) == '"' then
      return table.concat(parts), stop + 1
    end
    local escape = string.sub(text, stop + 1, stop + 1)
    if escape == "u" then
      local code_point = tonumber(string.sub(text, stop + 2, stop + 5), 16)
      if code_point == nil then
        error("bad \\u escape")
      end
      position = stop + 6
      if code_point >= 0xD800 and code_point <= 0xDBFF and string.sub(text, position, position + 1) == "\\u" then
        local low = tonumber(string.sub(text, position + 2, position + 5), 16)
        if low ~= nil and low >= 0xDC00 and low <= 0xDFFF then
          code_point = 0x10000 + (code_point - 0xD800) * 0x400 + (low - 0xDC00)
          position = position + 6
        end
      end
      parts[#parts + 1] = utf8_char(code_point)
    elseif SIMPLE_ESCAPES[escape] ~= nil then
      parts[#parts + 1] = SIMPLE_ESCAPES[escape]
      position = stop + 2
    else
      error("bad escape")
    end
  end
end

local function decode_object(text, position)
  local object = {}
  position = skip_whitespace(text, position)
  if string.sub(text, position, position) == "}" then
    return object, position + 1
  end
  while true do
    if string.sub(text, position, position) ~= '"' then
      error("expected a key")
    end
    local key
    key, position = decode_string(text, position + 1)
    position = skip_whitespace(text, position)
    if string.sub(text, position, position) ~= ":" then
      error("expected ':'")
    end
    local value
    value, position = decode_value(text, position + 1)
    object[key] = value
    position = skip_whitespace(text, position)
    local separator = string.sub(text, position, position)
    if separator == "}" then
      return object, position + 1
    elseif separator ~= "," then
      error("expected ',' or '}'")
    end
    position = skip_whitespace(text, position + 1)
  end
end

local function decode_array(text, position)
  local array = {}
  position = skip_whitespace(text, position)
  if string.sub(text, position, position) == "]" then
    return array, position + 1
  end
  while true do
    local value
    value, position = decode_value(text, position)
    array[#array + 1] = value
    position = skip_whitespace(text, position)
    local separator = string.sub(text, position, position)
    if separator == "]" then
      return array, position + 1
    elseif separator ~= "," then
      error("expected ',' or ']'")
    end
    position = position + 1
  end
end

decode_value = function(text, position)
  position = skip_whitespace(text, position)
  local first = string.sub(text, position, position)
  if first == "{" then
    return decode_object(text, position + 1)
  elseif first == "[" then
    return decode_array(text, position + 1)
  elseif first == '"' then
    return decode_string(text, position + 1)
  elseif string.sub(text, position, position + 3) == "true" then
    return true, position + 4
  elseif string.sub(text, position, position + 4) == "false" then
    return false, position + 5
  elseif string.sub(text, position, position + 3) == "null" then
    return JSON_NULL, position + 4
  end
  local number = string.match(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", position)
  if number == nil or tonumber(number) == nil then
    error("unexpected character at " .. position)
  end
  return tonumber(number), position + #number
end

local function json_decode(text)
  local value, position = decode_value(text, 1)
  if skip_whitespace(text, position) <= #text then
    error("trailing characters")
  end
  return value
end

local function escape_char(char)
  if char == '"' then
    return '\\"'
  elseif char == "\\" then
    return "\\\\"
  elseif char == "\n" then
    return "\\n"
  elseif char == "\r" then
    return "\\r"
  elseif char == "\t" then
    return "\\t"
  end
  return string.format("\\u%04x", string.byte(char))
end

local function encode_string(value)
  return '"' .. (string.gsub(value, '[%c"\\]', escape_char)) .. '"'
end

-- {"detail": ..., then every extra (ErrorInfo metadata) in key order}
local function encode_error_body(detail, extras)
  local keys = {}
  for key in pairs(extras) do
    if key ~= "detail" then
      keys[#keys + 1] = key
    end
  end
  table.sort(keys)
  local parts = { '"detail":' .. encode_string(detail) }
  for _, key in ipairs(keys) do
    parts[#parts + 1] = encode_string(key) .. ":" .. encode_string(extras[key])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

---------------------------------------------------------------------------------------------
-- The REST error for a gRPC failure (RestErrorHandler.handle)
---------------------------------------------------------------------------------------------

local function detail_without_error_info(code, message, status)
  if code == GRPC_UNIMPLEMENTED then
    return "not implemented yet"
  elseif code == GRPC_INVALID_ARGUMENT then
    if message == "" then
      return "malformed request"
    end
    return "malformed request: " .. message
  elseif code == GRPC_DEADLINE_EXCEEDED then
    return "request timed out"
  end
  return describe(status)
end

local function error_info_of(details)
  if type(details) ~= "table" then
    return nil
  end
  for _, detail in ipairs(details) do
    local type_url = type(detail) == "table" and detail["@type"]
    if type(type_url) == "string"
        and string.sub(type_url, -#ERROR_INFO_TYPE_SUFFIX) == ERROR_INFO_TYPE_SUFFIX then
      return detail
    end
  end
  return nil
end

local function text_of(value)
  if type(value) == "string" then
    return value
  elseif value == nil or value == JSON_NULL then
    return ""
  end
  return tostring(value)
end

-- From the transcoder's JSON google.rpc.Status: {"code": 9, "message": "...", "details": [...]}
local function rest_error_from_status(status_json)
  local code = status_json.code
  local message = text_of(status_json.message)
  local info = error_info_of(status_json.details)
  if info ~= nil then
    local extras = {}
    if type(info.metadata) == "table" then
      for key, value in pairs(info.metadata) do
        extras[key] = text_of(value)
      end
    end
    -- A reason this edge does not know yet is treated as INTERNAL, like the in-process edge.
    local status = HTTP_STATUS_BY_REASON[text_of(info.reason)] or HTTP_STATUS_BY_REASON.INTERNAL
    return { status = status, detail = message, extras = extras, retry_after = extras[RETRY_AFTER_KEY] }
  end
  local status = HTTP_STATUS_BY_GRPC_CODE[code] or 500
  return { status = status, detail = detail_without_error_info(code, message, status), extras = {} }
end

local function percent_decode(text)
  return (string.gsub(text, "%%(%x%x)", function(hex)
    return string.char(tonumber(hex, 16))
  end))
end

-- The transcoder could not print the status (it only happens when the descriptor set lacks a
-- detail's type): use grpc-status/grpc-message and the server's mark, which knew the reason.
local function rest_error_from_grpc_headers(headers, marked)
  local code = tonumber(headers:get("grpc-status")) or 2
  local message = percent_decode(headers:get("grpc-message") or "")
  local marked_status = tonumber(marked)
  if marked_status ~= nil and marked_status >= 400 then
    return { status = marked_status, detail = message, extras = {} }
  end
  local status = HTTP_STATUS_BY_GRPC_CODE[code] or 500
  return { status = status, detail = detail_without_error_info(code, message, status), extras = {} }
end

local function is_json(content_type)
  return string.find(string.lower(content_type), "json", 1, true) ~= nil
end

local function rewrite_error(handle, headers, status, marked, content_type)
  local body = handle:body(true)
  local text = ""
  if body:length() > 0 then
    text = body:getBytes(0, body:length())
  end
  local parsed = nil
  if text ~= "" and is_json(content_type) then
    local ok, value = pcall(json_decode, text)
    if ok and type(value) == "table" then
      parsed = value
    end
  end

  local answer
  if parsed ~= nil and parsed.detail ~= nil then
    return -- already the contract's shape (Envoy local replies are formatted as {"detail"})
  elseif parsed ~= nil and type(parsed.code) == "number" then
    answer = rest_error_from_status(parsed)
  elseif headers:get("grpc-status") ~= nil then
    answer = rest_error_from_grpc_headers(headers, marked)
  elseif parsed ~= nil then
    return -- some other JSON error body: left alone, like the in-process edge does
  else
    answer = { status = status, detail = describe(status), extras = {} }
  end

  local encoded = encode_error_body(answer.detail, answer.extras)
  headers:replace(":status", tostring(answer.status))
  headers:replace("content-type", "application/json")
  headers:remove("grpc-status")
  headers:remove("grpc-message")
  headers:remove("grpc-status-details-bin")
  if answer.retry_after ~= nil then
    headers:replace("retry-after", answer.retry_after)
  end
  body:setBytes(encoded)
  headers:replace("content-length", tostring(#encoded))
end

local function is_grpc(content_type)
  return string.find(string.lower(content_type), "application/grpc", 1, true) == 1
end

function envoy_on_response(handle)
  local headers = handle:headers()
  local status = tonumber(headers:get(":status"))
  local content_type = headers:get("content-type") or ""
  if status == nil or (status == 200 and is_grpc(content_type)) then
    return -- a native gRPC call (gRPC answers 200 and carries its status in trailers): untouched
  end
  local marked = headers:get(MARK_HEADER)
  if marked ~= nil then
    headers:remove(MARK_HEADER)
  end
  if status < 400 then
    local wanted = tonumber(marked)
    if status == 200 and wanted ~= nil and wanted >= 200 and wanted < 300 then
      headers:replace(":status", tostring(wanted))
    end
    return
  end
  rewrite_error(handle, headers, status, marked, content_type)
end
