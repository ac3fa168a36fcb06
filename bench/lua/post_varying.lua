-- POST /webmention with a new source URL on every request (so every request inserts a row),
-- spread over 100 targets on the registered site. BENCH_PREFIX keeps runs apart.
local counter = 0
local threads = 0
local prefix = os.getenv("BENCH_PREFIX") or "run"
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function request()
  counter = counter + 1
  local body = "source=https%3A%2F%2Fsrc" .. (counter % 997) .. ".example%2F" .. prefix
    .. "%2F" .. id .. "%2F" .. counter
    .. "&target=https%3A%2F%2Fblog.example%2Fpost%2F" .. (counter % 100)
  return wrk.format("POST", "/webmention", headers, body)
end
