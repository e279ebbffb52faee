-- Shared by the wrk scripts of scripts/bench.sh (loaded with dofile).
--
-- Environment: BENCH_TOKEN (bearer token), BENCH_KEY_PREFIX (unique per run).
-- Every thread counts its 2xx and other statuses (and webhook duplicates);
-- done() prints ONE line "BENCH_JSON {...}" with throughput (successful
-- requests per second) and wrk's latency distribution in milliseconds.

local threads = {}
local started = 0
thread_no = 1

function setup(thread)
   started = started + 1
   thread:set("thread_no", started)
   table.insert(threads, thread)
end

ok, bad, dup, counter = 0, 0, 0, 0
token = os.getenv("BENCH_TOKEN") or ""
key_prefix = (os.getenv("BENCH_KEY_PREFIX") or tostring(os.time())) .. "-"

-- A fresh Idempotency-Key: run prefix, thread, counter.
function next_key()
   counter = counter + 1
   return key_prefix .. tostring(thread_no) .. "-" .. tostring(counter)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
      if body and string.find(body, '"duplicate":true', 1, true) then
         dup = dup + 1
      end
   else
      bad = bad + 1
      if bad <= 3 then
         io.stderr:write("wrk: HTTP " .. status .. " " .. string.sub(body or "", 1, 300) .. "\n")
      end
   end
end

function done(summary, latency, requests)
   local n_ok, n_bad, n_dup = 0, 0, 0
   for _, t in ipairs(threads) do
      n_ok = n_ok + (t:get("ok") or 0)
      n_bad = n_bad + (t:get("bad") or 0)
      n_dup = n_dup + (t:get("dup") or 0)
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"ok":%d,"non_2xx":%d,"duplicates":%d,"seconds":%.3f,' ..
      '"throughput":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
      '"socket_errors":%d}\n',
      summary.requests, n_ok, n_bad, n_dup, secs, (n_ok - n_dup) / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, latency.mean / 1000,
      e.connect + e.read + e.write + e.timeout))
end
