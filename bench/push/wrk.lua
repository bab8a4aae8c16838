-- wrk script of bench/push/run.sh: every request upserts new items, each request with its own
-- Idempotency-Key (a server without the machinery ignores the key headers).
--   PUSH_KEY     the API key
--   PUSH_BATCH   items per request: 1 sends POST /items, more sends POST /items/bulk
--   PUSH_PREFIX  makes this run's SKUs and idempotency keys unique
--   PUSH_NO_IDEMPOTENCY_KEY  1 to send no Idempotency-Key
-- At the end it prints one line "WRKJSON {...}" that bench/push/measure.py reads.
local key = os.getenv("PUSH_KEY")
local batch = tonumber(os.getenv("PUSH_BATCH") or "1")
local prefix = os.getenv("PUSH_PREFIX") or "run"
local keyed = os.getenv("PUSH_NO_IDEMPOTENCY_KEY") ~= "1"
local path = batch == 1 and "/api/v1/integration/v1/items" or "/api/v1/integration/v1/items/bulk"
local threads = {}
local next_id = 0

setup = function(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local counter = 0

local function item(sku)
  return '{"sku":"' .. sku .. '","name":"Benchmark item ' .. sku ..
    '","barcode":"885' .. counter .. '","baseUomCode":"EA","category":"Bench",' ..
    '"tracking":"lot","shelfLifeDays":365,"weightKg":1.25}'
end

request = function()
  counter = counter + 1
  local base = prefix .. "-" .. id .. "-" .. counter
  local body
  if batch == 1 then
    body = item(base)
  else
    local items = {}
    for i = 1, batch do
      items[i] = item(base .. "-" .. i)
    end
    body = '{"items":[' .. table.concat(items, ",") .. ']}'
  end
  local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = key }
  if keyed then
    headers["Idempotency-Key"] = base
  end
  return wrk.format("POST", path, headers, body)
end

local unexpected = 0
response = function(status, headers, body)
  if status ~= 200 and status ~= 201 then
    unexpected = unexpected + 1
    if unexpected <= 3 then
      io.stderr:write("unexpected status " .. status .. ": " .. body:sub(1, 300) .. "\n")
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, ' ..
    '"latency_mean_us": %.1f, "latency_p50_us": %d, "latency_p99_us": %d, "latency_max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency.mean, latency:percentile(50),
    latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
