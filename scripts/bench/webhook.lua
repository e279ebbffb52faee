-- POST /v1/webhooks/stripe with pre-signed, distinct events from
-- BENCH_EVENTS_FILE (one "signature<TAB>payload" a line). Thread k of n sends
-- lines k, k+n, k+2n, ... so no event is sent twice until a thread runs out;
-- then it wraps and the server answers "duplicate" (counted, not in throughput).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local events = {}
local n_threads = tonumber(os.getenv("BENCH_THREADS") or "1")

function init(args)
   local i = 0
   for line in io.lines(os.getenv("BENCH_EVENTS_FILE")) do
      if i % n_threads == thread_no - 1 then
         local tab = string.find(line, "\t", 1, true)
         table.insert(events, { string.sub(line, 1, tab - 1), string.sub(line, tab + 1) })
      end
      i = i + 1
   end
end

function request()
   counter = counter + 1
   local ev = events[((counter - 1) % #events) + 1]
   return wrk.format("POST", "/v1/webhooks/stripe", {
      ["Content-Type"] = "application/json",
      ["Stripe-Signature"] = ev[1],
   }, ev[2])
end
