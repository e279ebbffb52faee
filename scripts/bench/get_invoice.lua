-- GET /v1/invoices/{id}, cycling through the ids in BENCH_IDS_FILE (one a line);
-- each thread starts at a different place.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local ids = {}

function init(args)
   for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
      if #line > 0 then table.insert(ids, line) end
   end
   counter = thread_no * 7919
end

function request()
   counter = counter + 1
   local id = ids[(counter % #ids) + 1]
   return wrk.format("GET", "/v1/invoices/" .. id, { ["Authorization"] = "Bearer " .. token })
end
