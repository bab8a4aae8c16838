-- wrk script of bench/push/run.sh: every request writes new records (or reads), each write
-- with its own Idempotency-Key (a server without the machinery ignores the key headers).
--   PUSH_KEY     the API key
--   PUSH_KIND    items [default]: POST /items (PUSH_BATCH 1) or /items/bulk (PUSH_BATCH items);
--                orders: POST /orders, one line of 1 unit of one of PUSH_SKU_COUNT SKUs;
--                grn: POST /grn of PUSH_BATCH lines of 1 unit, SKUs in turn;
--                stock: GET /stock of SKU PUSH_SKU_PREFIX .. "0"
--   PUSH_BATCH   items or GRN lines per request
--   PUSH_SKU_PREFIX, PUSH_SKU_COUNT  the SKUs orders and GRNs name: prefix .. 0 … count - 1
--   PUSH_WAREHOUSE  the warehouse code of orders, GRNs and stock reads
--   PUSH_PREFIX  makes this run's SKUs, references and idempotency keys unique
--   PUSH_NO_IDEMPOTENCY_KEY  1 to send no Idempotency-Key
-- At the end it prints one line "WRKJSON {...}" that bench/push/measure.py reads.
local key = os.getenv("PUSH_KEY")
local batch = tonumber(os.getenv("PUSH_BATCH") or "1")
local prefix = os.getenv("PUSH_PREFIX") or "run"
local keyed = os.getenv("PUSH_NO_IDEMPOTENCY_KEY") ~= "1"
local kind = os.getenv("PUSH_KIND") or "items"
local sku_prefix = os.getenv("PUSH_SKU_PREFIX") or "D-"
local sku_count = tonumber(os.getenv("PUSH_SKU_COUNT") or "1")
local warehouse = os.getenv("PUSH_WAREHOUSE") or "WH-BENCH"
local root = "/api/v1/integration/v1"
local path = ({
  items = batch == 1 and root .. "/items" or root .. "/items/bulk",
  orders = root .. "/orders",
  grn = root .. "/grn",
  stock = root .. "/stock?sku=" .. sku_prefix .. "0&warehouseCode=" .. warehouse,
})[kind]
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

-- The n-th SKU this thread names: the threads' turns interleave, so concurrent requests name
-- different SKUs (when there are several).
local function sku(n)
  return sku_prefix .. ((n * 2 + id) % sku_count)
end

request = function()
  counter = counter + 1
  local base = prefix .. "-" .. id .. "-" .. counter
  local body
  if kind == "stock" then
    return wrk.format("GET", path, { ["X-API-Key"] = key })
  elseif kind == "orders" then
    body = '{"warehouseCode":"' .. warehouse .. '","referenceNo":"' .. base .. '","lines":[' ..
      '{"lineNo":1,"sku":"' .. sku(counter) .. '","qtyOrdered":1,"unitPrice":10}]}'
  elseif kind == "grn" then
    local lines = {}
    for i = 1, batch do
      lines[i] = '{"sku":"' .. sku(counter * batch + i) .. '","qty":1}'
    end
    body = '{"warehouseCode":"' .. warehouse .. '","lines":[' .. table.concat(lines, ",") .. ']}'
  elseif batch == 1 then
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
