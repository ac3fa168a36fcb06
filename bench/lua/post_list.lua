-- POST /webmention once for each line of BENCH_BODIES (form bodies), split over wrk's
-- threads; a thread stops when its share is answered (extra requests are GET /healthz).
-- wrk itself runs until its -d time: the caller stops it once the POSTs are all made.
local threads = 0
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  bodies = {}
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local index = 0
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if index % nthreads == id - 1 then
      table.insert(bodies, line)
    end
    index = index + 1
  end
  sent = 0
  answered = 0
end

function request()
  -- wrk asks for one request before the connections start and may not send it: that one
  -- is a GET /healthz, so no POST is lost.
  if not primed then
    primed = true
    return wrk.format("GET", "/healthz")
  end
  if sent < #bodies then
    sent = sent + 1
    return wrk.format("POST", "/webmention", headers, bodies[sent])
  end
  return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #bodies then
    wrk.thread:stop()
  end
end
